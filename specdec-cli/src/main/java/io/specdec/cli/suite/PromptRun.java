package io.specdec.cli.suite;

import io.specdec.generate.SpeculationStats;

/**
 * One prompt decoded autoregressively and then speculatively, back to back in one JVM.
 *
 * @param prompt the prompt text
 * @param arSeconds autoregressive wall time, prefill included
 * @param arTokens tokens the autoregressive run generated
 * @param specSeconds speculative wall time, prefill included
 * @param specTokens tokens the speculative run generated
 * @param stats the speculative run's round statistics
 * @param identical whether both runs produced the same token ids (meaningful for greedy decoding only)
 */
public record PromptRun(String prompt, double arSeconds, int arTokens, double specSeconds, int specTokens,
        SpeculationStats stats, boolean identical) {
    /**
     * Speculative tokens/s over AR tokens/s for this prompt: AR time / speculative time when both generated the same
     * number of tokens (always, unless the context filled up first).
     */
    public double speedup() {
        return (specTokens / specSeconds) / (arTokens / arSeconds);
    }
}
