package io.specdec.sampling;

/**
 * Rewrites one row of logits in place before the softmax. The same chain ({@link LogitsProcessors#of}) is applied to
 * the target's and the drafter's logits, so that draft and target distributions are formed alike (ALGORITHMS.md §0).
 * Filtered-out tokens are set to {@code -inf}. Implementations are stateless and thread-safe.
 */
@FunctionalInterface
public interface LogitsProcessor {
    /**
     * @param logits one row {@code [vocab]}, modified in place
     * @param history the token ids so far (prompt and generated), for history-dependent processors
     * @param historyLength how many entries of {@code history} are valid
     */
    void process(float[] logits, int[] history, int historyLength);
}
