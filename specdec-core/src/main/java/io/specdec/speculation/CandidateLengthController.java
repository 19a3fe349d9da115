package io.specdec.speculation;

/**
 * Decides how much to draft (ALGORITHMS.md §7): a budget per round (chain length, or node count for trees; 0 =
 * plain autoregressive step), optionally a per-token stop while drafting (it sees each drafted token's draft
 * probability, the draft's top probability and, where the drafter has one, its hidden state), and learns from each
 * verified round. Controllers keep state across rounds and requests; a decoder shares its controller between
 * concurrent requests, so implementations must be thread-safe (the built-in ones synchronise).
 */
public interface CandidateLengthController {
    /** Budget for the next round, at most {@code max} ({@code max >= 1}); 0 disables speculation for the round. */
    int nextBudget(int max);

    /** Called after each drafted token; {@code false} stops drafting and drops that token. */
    default boolean continueDrafting(DraftStep step) {
        return true;
    }

    /** Learns from a verified round. */
    default void observe(RoundResult result) {}

    /** Name for reports. */
    String name();

    /**
     * One drafted token, as a controller sees it.
     *
     * @param index 1-based position in the chain (depth in a tree)
     * @param token the drafted token
     * @param probability the draft's probability of the token
     * @param topProbability the draft's largest probability at this step
     * @param hidden the drafter's hidden state that produced the step ({@code [dim]}), or null if it has none
     */
    record DraftStep(int index, int token, float probability, float topProbability, float[] hidden) {}
}
