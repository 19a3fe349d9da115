/**
 * The small draft model drafter (chain and EAGLE-2-style tree) and its registration as {@code draft-model}.
 */
package io.specdec.drafters.draftmodel;
