package io.specdec.speculation;

import io.specdec.model.ForwardResult;

/**
 * One verified round, as drafters and controllers see it in {@code observe}.
 *
 * @param layout the round's rows (root, tree, positions; row of each node)
 * @param acceptedNodes the accepted path (node indices, root excluded), in order
 * @param emitted the tokens emitted this round: the accepted path's tokens plus the corrected/bonus token
 * @param outputs the target's outputs for every row of {@code layout} (logits, and the hidden states the drafter
 *     asked for); valid only during {@code observe}: copy what must outlive it
 * @param draftNanos time spent proposing
 * @param verifyNanos time of the target forward
 */
public record RoundResult(RoundLayout layout, int[] acceptedNodes, int[] emitted, ForwardResult outputs,
        long draftNanos, long verifyNanos) {
    public RoundResult {
        acceptedNodes = acceptedNodes.clone();
        emitted = emitted.clone();
    }

    /** A copy of the accepted path. */
    @Override
    public int[] acceptedNodes() {
        return acceptedNodes.clone();
    }

    /** A copy of the emitted tokens. */
    @Override
    public int[] emitted() {
        return emitted.clone();
    }

    /** Number of tokens emitted. */
    public int emittedCount() {
        return emitted.length;
    }

    /** The root token. */
    public int root() {
        return layout.root();
    }

    /** What was drafted. */
    public DraftTree tree() {
        return layout.tree();
    }

    /** Token of verified node {@code j}: {@code -1} = the root. */
    public int tokenAt(int j) {
        return layout.token(j);
    }

    /** Number of accepted draft tokens. */
    public int accepted() {
        return acceptedNodes.length;
    }

    /** Accepted node {@code i} of the path. */
    public int acceptedNode(int i) {
        return acceptedNodes[i];
    }

    /** A copy of the target's raw logits at {@code node} ({@code -1} = the root), {@code [vocab]}. */
    public float[] logitsAt(int node) {
        return outputs.row(layout.row(node));
    }

    /** The target's final-norm hidden state at {@code node}, {@code [dim]} (needs {@link OutputRequest#lastHidden}). */
    public float[] lastHiddenAt(int node) {
        return outputs.lastHiddenRow(layout.row(node));
    }
}
