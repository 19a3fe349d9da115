/** Logits processors (one shared chain for target and drafts), softmax, argmax and seeded categorical sampling that return probabilities. */
package io.specdec.sampling;
