package io.specdec.spec;

/**
 * One verified round.
 *
 * @param root the root token (the last token emitted before the round; its target logits are row 0)
 * @param tree what was drafted
 * @param acceptedNodes the accepted path (node indices, root excluded), in order
 * @param emitted the tokens emitted this round: the accepted path's tokens plus the corrected/bonus token
 * @param targetLogits raw target logits, row 0 at the root, row {@code 1+j} at node j ({@code [1+size][vocab]}
 *     row-major); what Token Recycling learns from
 * @param vocab row width of {@code targetLogits}
 * @param layerHidden hidden states the drafter asked for ({@link Drafter#verifyHiddenLayers()}), each
 *     {@code [1+size][dim]}; empty when none
 * @param draftNanos time spent proposing
 * @param verifyNanos time of the target forward
 */
public record RoundResult(int root, DraftTree tree, int[] acceptedNodes, int[] emitted, float[] targetLogits, int vocab,
        float[][] layerHidden, long draftNanos, long verifyNanos) {
    /** Token of verified node {@code j}: {@code -1} = the root. */
    public int tokenAt(int j) {
        return j < 0 ? root : tree.token(j);
    }

    /** Number of accepted draft tokens. */
    public int accepted() {
        return acceptedNodes.length;
    }
}
