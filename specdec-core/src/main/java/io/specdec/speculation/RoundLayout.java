package io.specdec.speculation;

import io.specdec.model.AttentionMask;

/**
 * The layout of one verification round — the only place that knows how a draft tree becomes rows of a target
 * forward. Row 0 is the root (the last emitted token, not yet in the target cache), row {@code 1 + j} is tree node
 * {@code j}; positions are {@code prefix + depth}; each row attends to the committed prefix, its ancestors and itself
 * (SpecInfer / Medusa tree attention); after acceptance, the root and the accepted path are kept, in path order, in
 * cache slots {@code prefix, prefix + 1, ...}. Immutable.
 */
public final class RoundLayout {
    private final int root;
    private final DraftTree tree;
    private final int prefix;

    /**
     * @param root the root token
     * @param tree the draft
     * @param prefix positions committed in the target cache before the round (the root's position)
     */
    public RoundLayout(int root, DraftTree tree, int prefix) {
        if (prefix < 0) {
            throw new IllegalArgumentException("prefix must be >= 0, found " + prefix);
        }
        this.root = root;
        this.tree = java.util.Objects.requireNonNull(tree, "tree");
        this.prefix = prefix;
    }

    /** The root token. */
    public int root() {
        return root;
    }

    /** The draft tree. */
    public DraftTree tree() {
        return tree;
    }

    /** Committed positions before the round. */
    public int prefix() {
        return prefix;
    }

    /** Rows of the forward: {@code 1 + tree.size()}. */
    public int rows() {
        return 1 + tree.size();
    }

    /** Row of {@code node} ({@code -1} = the root). */
    public int row(int node) {
        if (node < -1 || node >= tree.size()) {
            throw new IllegalArgumentException("node " + node + " is not in a tree of " + tree.size() + " nodes");
        }
        return node + 1;
    }

    /** Node of {@code row} ({@code -1} for row 0, the root). */
    public int node(int row) {
        return row - 1;
    }

    /** Token of {@code node} ({@code -1} = the root). */
    public int token(int node) {
        return node < 0 ? root : tree.token(node);
    }

    /** Tokens per row. */
    public int[] tokens() {
        int[] t = new int[rows()];
        for (int r = 0; r < t.length; r++) {
            t[r] = token(node(r));
        }
        return t;
    }

    /** RoPE positions per row: {@code prefix + depth} (the root has depth 0). */
    public int[] positions() {
        int[] p = new int[rows()];
        p[0] = prefix;
        for (int j = 0; j < tree.size(); j++) {
            p[row(j)] = prefix + tree.depth(j);
        }
        return p;
    }

    /** Attention among the rows: null (causal) for chains, else the tree mask. */
    public AttentionMask mask() {
        if (tree.isChain()) {
            return null;
        }
        int[] parents = new int[rows()];
        parents[0] = -1;
        for (int j = 0; j < tree.size(); j++) {
            parents[row(j)] = row(tree.parent(j));
        }
        return AttentionMask.tree(parents);
    }

    /** Rows to keep after acceptance: the root then the accepted nodes in path order. */
    public int[] keptRows(int[] acceptedNodes) {
        int[] keep = new int[1 + acceptedNodes.length];
        for (int i = 0; i < acceptedNodes.length; i++) {
            keep[1 + i] = row(acceptedNodes[i]);
        }
        return keep;
    }

    /** Cache slot that row {@code keptRows(...)[i]} ends in: {@code prefix + i}. */
    public int slotOfKept(int i) {
        return prefix + i;
    }

    /** Offset of {@code node}'s logits in a row-major {@code [rows, vocab]} array. */
    public int logitsOffset(int node, int vocab) {
        return row(node) * vocab;
    }
}
