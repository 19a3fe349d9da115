package io.specdec.spec;

/**
 * Runs the target over a draft tree in one forward and keeps the target's KV cache. The root of each tree is the
 * last emitted token, which is not in the cache yet; {@link #verify} writes it and every node, and {@link #commit}
 * keeps the root plus the accepted path. Implementations: {@code io.specdec.verify.TreeVerifier}. Owns native memory.
 */
public interface Verifier extends AutoCloseable {
    /** Processes the prompt except its last token (which becomes the first root). */
    void prefill(int[] promptWithoutLast);

    /**
     * One target forward over the root and the tree. Logits {@code [1+size][vocab]} row-major: row 0 at the root,
     * row 1+j at node j; plus the residual stream after each layer in {@code hiddenLayers} (1-based; empty for none),
     * {@code [1+size][dim]} each — what early-exit drafters learn from.
     */
    io.specdec.model.ForwardResult verify(int root, DraftTree tree, int[] hiddenLayers);

    /** Keeps the root and the accepted nodes (in path order) of the last verified tree. */
    void commit(int[] acceptedNodes);

    /** Positions committed in the target cache. */
    int length();

    /** Positions the cache can still take (the next tree needs {@code 1 + size}). */
    int remaining();

    /** Target vocabulary size. */
    int vocabSize();

    @Override
    void close();
}
