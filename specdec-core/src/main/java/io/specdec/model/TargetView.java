package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The read-only pieces of a target model that drafters may use (DESIGN.md, "Drafter SPI"): its configuration, the
 * embedding lookup, the final norm and the LM head — what Medusa/Hydra/EAGLE-style heads and the SpecDec++ head are
 * built from. Nothing here writes weights or touches a KV cache. Arrays are created in the manager of their input
 * (or the one given) on the model's device; the caller closes that manager. Thread-safe.
 */
public interface TargetView {
    /** The hyper-parameters. */
    LlamaConfig config();

    /** Embedding rows of {@code tokens}: {@code [T, dim]}, a new array in {@code manager}. */
    NDArray embed(NDManager manager, int[] tokens);

    /** The final RMSNorm with its weight: {@code [..., dim] → [..., dim]}, a new array. */
    NDArray finalNorm(NDArray hidden);

    /** The LM head applied to final-norm outputs: {@code [..., dim] → [..., vocab]} raw logits. */
    NDArray lmHead(NDArray normed);

    /**
     * Final norm and LM head on host hidden states {@code [T, dim]} taken after some layer (early-exit shadow
     * tokens); returns logits {@code [T, vocab]}.
     */
    float[] logitsFromHidden(float[] hidden, int t);
}
