package io.specdec.generate;

/**
 * A finished generation.
 *
 * @param promptIds the encoded prompt (BOS included when added)
 * @param ids generated token ids (EOS excluded)
 * @param text decoded generated text (cut before a stop string)
 * @param finishReason why it ended
 * @param stats timing
 * @param speculation speculation metrics, or {@code null} for autoregressive decoding
 * @param logprobs per generated token, the target's log-probabilities when the config asked for them (else empty)
 */
public record GenerationResult(int[] promptIds, int[] ids, String text, FinishReason finishReason,
        GenerationStats stats, io.specdec.generate.SpeculationStats speculation, java.util.List<TokenLogprobs> logprobs) {
    /** A result without log-probabilities. */
    public GenerationResult(int[] promptIds, int[] ids, String text, FinishReason finishReason, GenerationStats stats,
            io.specdec.generate.SpeculationStats speculation) {
        this(promptIds, ids, text, finishReason, stats, speculation, java.util.List.of());
    }

    /** The prompt ids followed by the generated ids (a new array). */
    public int[] allIds() {
        int[] all = java.util.Arrays.copyOf(promptIds, promptIds.length + ids.length);
        System.arraycopy(ids, 0, all, promptIds.length, ids.length);
        return all;
    }
}
