package io.specdec.generate;

/**
 * The model-specific part of a generation: produces the next tokens after the prompt. Autoregressive decoding
 * returns one token per call; speculative decoding returns every token a round accepted. Implementations own their
 * KV caches and close them. Not thread-safe.
 */
public interface DecodeStep extends AutoCloseable {
    /**
     * Produces at least one and at most {@code max} new tokens, or an empty array when the context is full.
     *
     * @param max upper bound ({@code >= 1}) so that a generation never overshoots its token budget
     */
    int[] next(int max);

    /**
     * The target's logits row each token of the last {@link #next} call was chosen from (one row per token, in
     * order), or null when the step does not keep them; kept only when the config asks for log-probabilities.
     */
    default float[][] lastLogits() {
        return null;
    }

    /** Speculation metrics so far, or {@code null} for autoregressive decoding. */
    default io.specdec.generate.SpeculationStats speculationStats() {
        return null;
    }

    @Override
    void close();
}
