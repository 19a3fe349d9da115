/**
 * Prompt lookup / n-gram drafting and its registration as {@code prompt-lookup}.
 */
package io.specdec.drafters.lookup;
