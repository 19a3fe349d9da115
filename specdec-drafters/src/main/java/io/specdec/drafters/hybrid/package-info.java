/**
 * The hybrid drafter (prompt lookup then Token Recycling in one deduplicated tree) and its registration as {@code hybrid}.
 */
package io.specdec.drafters.hybrid;
