package io.specdec.speculation;

import java.util.Arrays;

/**
 * Candidate tokens proposed by a {@link Drafter} for one round, as a tree in topological order. The root is
 * implicit: the last emitted token, whose target distribution the verifier computes first. A chain is a tree of
 * width 1.
 *
 * <p>Per node: its token, its parent ({@code -1} = the root), its depth (1 = child of the root), and how it was
 * chosen — either sampled from a draft distribution {@code q} (stored, {@code [vocab]}, after the request's logits
 * processors; siblings with a {@code q} were drawn i.i.d. from their parent's {@code q}) or chosen deterministically
 * ({@code q == null}: greedy, top-k, a lookup), which acceptance treats as a point mass (ALGORITHMS.md §0, §2).
 * Immutable.
 */
public final class DraftTree {
    private static final DraftTree EMPTY = new DraftTree(new int[0], new int[0], new float[0][]);
    private static final DraftSignals[] NO_SIGNALS = new DraftSignals[0];

    private final int[] tokens;
    private final int[] parents;
    private final int[] depths;
    private final float[][] q;
    private final DraftSignals[] signals;

    /**
     * A tree without draft signals.
     *
     * @param tokens token per node
     * @param parents parent index per node ({@code -1} for children of the root); {@code parents[j] < j}
     * @param q per node the distribution its token was sampled from, or {@code null} for a deterministic choice
     */
    public DraftTree(int[] tokens, int[] parents, float[][] q) {
        this(tokens, parents, q, null);
    }

    /**
     * A tree whose nodes carry what the drafter knew when it drafted them (the length controller reads them).
     *
     * @param signals per node its {@link DraftSignals} (an entry may be null), or null for none at all
     */
    public DraftTree(int[] tokens, int[] parents, float[][] q, DraftSignals[] signals) {
        if (tokens.length != parents.length || q.length != tokens.length
                || (signals != null && signals.length != tokens.length)) {
            throw new IllegalArgumentException("tokens, parents, q and signals must have one entry per node");
        }
        this.tokens = tokens.clone();
        this.parents = parents.clone();
        this.q = q.clone();
        this.signals = signals == null ? NO_SIGNALS : signals.clone();
        this.depths = new int[tokens.length];
        for (int j = 0; j < tokens.length; j++) {
            int p = parents[j];
            if (p < -1 || p >= j) {
                throw new IllegalArgumentException("node " + j + " has parent " + p + ": nodes must be in topological"
                        + " order");
            }
            depths[j] = p < 0 ? 1 : depths[p] + 1;
        }
    }

    /** No candidates (plain autoregressive step). */
    public static DraftTree empty() {
        return EMPTY;
    }

    /** A chain {@code x1 → x2 → ...} with per-token draft distributions (or nulls for deterministic tokens). */
    public static DraftTree chain(int[] tokens, float[][] q) {
        return chain(tokens, q, null);
    }

    /** A chain with per-token draft signals ({@code signals} may be null). */
    public static DraftTree chain(int[] tokens, float[][] q, DraftSignals[] signals) {
        int[] parents = new int[tokens.length];
        for (int i = 0; i < parents.length; i++) {
            parents[i] = i - 1;
        }
        return new DraftTree(tokens, parents, q, signals);
    }

    /**
     * For a chain: its nodes {@code [from, from + n)} as a chain of their own (tokens, draft distributions and
     * signals kept), {@code n} clipped to what is there; empty when nothing is left.
     *
     * @throws IllegalStateException when this tree is not a chain
     */
    public DraftTree chainSlice(int from, int n) {
        if (!isChain()) {
            throw new IllegalStateException("chainSlice needs a chain; this tree has " + tokens.length
                    + " nodes over depth " + maxDepth());
        }
        int to = Math.min(tokens.length, from + Math.max(0, n));
        if (from >= to) {
            return EMPTY;
        }
        return chain(java.util.Arrays.copyOfRange(tokens, from, to), java.util.Arrays.copyOfRange(q, from, to),
                signals.length == 0 ? null : java.util.Arrays.copyOfRange(signals, from, to));
    }

    /** What the drafter knew when it drafted node j, or null when it gave nothing. */
    public DraftSignals signals(int j) {
        return signals.length == 0 ? null : signals[j];
    }

    /**
     * The subtree of the nodes with {@code keep[j]} whose ancestors are all kept, renumbered in the same order; this
     * tree itself when every node is kept.
     */
    public DraftTree retain(boolean[] keep) {
        if (keep.length != tokens.length) {
            throw new IllegalArgumentException("keep has " + keep.length + " entries for " + tokens.length + " nodes");
        }
        int[] map = new int[tokens.length];
        int n = 0;
        for (int j = 0; j < tokens.length; j++) {
            boolean k = keep[j] && (parents[j] < 0 || map[parents[j]] >= 0);
            map[j] = k ? n++ : -1;
        }
        if (n == tokens.length) {
            return this;
        }
        int[] tk = new int[n];
        int[] pa = new int[n];
        float[][] qq = new float[n][];
        DraftSignals[] sg = signals.length == 0 ? null : new DraftSignals[n];
        for (int j = 0; j < tokens.length; j++) {
            int i = map[j];
            if (i >= 0) {
                tk[i] = tokens[j];
                pa[i] = parents[j] < 0 ? -1 : map[parents[j]];
                qq[i] = q[j];
                if (sg != null) {
                    sg[i] = signals[j];
                }
            }
        }
        return new DraftTree(tk, pa, qq, sg);
    }

    /** Number of nodes (drafted tokens). */
    public int size() {
        return tokens.length;
    }

    public int token(int j) {
        return tokens[j];
    }

    public int parent(int j) {
        return parents[j];
    }

    /** Depth of node j: 1 for a child of the root. */
    public int depth(int j) {
        return depths[j];
    }

    /** The draft distribution node j was sampled from, or {@code null} (point mass). */
    public float[] q(int j) {
        return q[j];
    }

    /** True when the node was chosen deterministically. */
    public boolean isPointMass(int j) {
        return q[j] == null;
    }

    /** Largest depth (0 for an empty tree). */
    public int maxDepth() {
        int d = 0;
        for (int x : depths) {
            d = Math.max(d, x);
        }
        return d;
    }

    /** True when every node has at most one child (a chain). */
    public boolean isChain() {
        for (int j = 0; j < parents.length; j++) {
            if (parents[j] != j - 1) {
                return false;
            }
        }
        return true;
    }

    /** Children of {@code node} ({@code -1} = root), in draft order. */
    public int[] children(int node) {
        int n = 0;
        int[] c = new int[tokens.length];
        for (int j = 0; j < tokens.length; j++) {
            if (parents[j] == node) {
                c[n++] = j;
            }
        }
        return Arrays.copyOf(c, n);
    }

    /** Tokens of the path root → node (excluding the root), length {@code depth(node)}. */
    public int[] pathTokens(int node) {
        int[] p = new int[node < 0 ? 0 : depths[node]];
        for (int x = node, i = p.length - 1; x >= 0; x = parents[x], i--) {
            p[i] = tokens[x];
        }
        return p;
    }

    /** Parent indices (copy). */
    public int[] parents() {
        return parents.clone();
    }

    /** Tokens (copy). */
    public int[] tokens() {
        return tokens.clone();
    }
}
