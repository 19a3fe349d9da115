/**
 * Shared pieces of the drafters: the tree builder that merges and deduplicates proposals, and the record of which tokens a drafter's own cache holds.
 */
package io.specdec.drafters;
