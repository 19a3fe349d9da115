/**
 * Hardware-aware sizing of drafts: teacher-forced and in-flight rank statistics and the chain/tree sizes that maximise tokens per microsecond under the measured cost curves.
 */
package io.specdec.drafters.sizing;
