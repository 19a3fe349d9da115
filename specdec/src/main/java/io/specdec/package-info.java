/**
 * The entry point: {@link io.specdec.Specdec} takes a model path (and optionally a registered drafter by name) to streaming text, plain or speculative, lossless by default.
 */
package io.specdec;
