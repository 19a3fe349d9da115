package io.specdec.speculation;

/**
 * Decides how much to draft (ALGORITHMS.md §7): a budget per round (chain length, or node count for trees; 0 = plain
 * autoregressive step), a per-token verdict on every drafted node, a width per tree level, and learning from each
 * verified round.
 *
 * <p><b>The decode loop owns the stop rule.</b> After a drafter proposes, the loop ({@link DraftGate}) asks
 * {@link #admit} for every node in topological order and drops a node whose verdict is {@link #STOP} together with
 * its subtree, and keeps at most {@link #maxWidth} nodes per depth; so every drafter obeys by construction. Drafters
 * that run one forward per token ask the same question while drafting ({@link DraftContext#gate()}) so that they
 * stop early instead of drafting tokens that would be dropped; the verdicts are the same.
 *
 * <p>Lossless by construction: a verdict on a node drawn from a draft distribution may depend only on what was known
 * before the token was drawn (its ancestors, the distribution's shape, the features that produced it); the gate
 * hides such a node's own probability ({@link DraftSignals#probability()} is NaN) so a verdict cannot bias the
 * output distribution.
 *
 * <p>Thread safety: a decoder makes one controller per request (a factory), so implementations need not be
 * thread-safe unless they are shared on purpose.
 */
public interface CandidateLengthController {
    /** {@link #admit}'s verdict that drops the node and its subtree. */
    double STOP = -1;

    /** Starts a request with its sampling config (called once, before the first round). */
    default void begin(io.specdec.sampling.SamplingConfig sampling) {}

    /** Budget for the next round, at most {@code max} ({@code max >= 1}); 0 disables speculation for the round. */
    int nextBudget(int max);

    /**
     * The verdict on one drafted node: {@link #STOP} to drop it (and its subtree), else the controller's estimate in
     * [0, 1] of the probability that the target accepts it given its ancestors were accepted (1 when it has none);
     * the gate multiplies the estimates along each branch into {@link DraftStep#pathAcceptance()}. Default: 1.
     */
    default double admit(DraftStep step) {
        return 1;
    }

    /** The most nodes kept at tree depth {@code depth} (1 = children of the root); default: unbounded. */
    default int maxWidth(int depth) {
        return Integer.MAX_VALUE;
    }

    /** Learns from a verified round. */
    default void observe(RoundResult result) {}

    /** Name for reports. */
    String name();

    /**
     * One drafted node, as a controller sees it.
     *
     * @param depth 1-based depth in the tree (position in a chain)
     * @param token the drafted token
     * @param signals what the drafter knew (null when it gave nothing)
     * @param pathAcceptance the product of this controller's estimates for the node's ancestors (1 at depth 1): the
     *     estimated probability that the whole branch above the node is accepted
     * @param pathExpected the sum of those products over the ancestors (0 at depth 1): the expected number of the
     *     branch's tokens above the node that are accepted
     */
    record DraftStep(int depth, int token, DraftSignals signals, double pathAcceptance, double pathExpected) {
        /** A step with nothing known above it but its depth (expected tokens 0, path acceptance 1). */
        public DraftStep(int depth, int token, DraftSignals signals) {
            this(depth, token, signals, 1, 0);
        }
    }
}
