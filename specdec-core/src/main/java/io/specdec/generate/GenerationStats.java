package io.specdec.generate;

/**
 * Timing of one request.
 *
 * @param promptTokens prompt length in tokens (BOS included)
 * @param generatedTokens tokens produced (EOS excluded)
 * @param prefillSeconds time to process the prompt (up to the first token's logits)
 * @param decodeSeconds time spent producing the generated tokens after prefill
 */
public record GenerationStats(int promptTokens, int generatedTokens, double prefillSeconds, double decodeSeconds) {
    /** Prefill plus decode. */
    public double totalSeconds() {
        return prefillSeconds + decodeSeconds;
    }

    /** Decode throughput: generated tokens per second of decoding (0 if nothing was timed). */
    public double tokensPerSecond() {
        return decodeSeconds > 0 ? generatedTokens / decodeSeconds : 0;
    }
}
