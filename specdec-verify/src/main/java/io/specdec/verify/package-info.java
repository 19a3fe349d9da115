/**
 * Tree verification on the target ({@link io.specdec.verify.TreeVerifier}) and the acceptance policies: greedy and rejection sampling (lossless), typical acceptance (lossy, opt-in); {@link io.specdec.verify.Speculation} presets.
 */
package io.specdec.verify;
