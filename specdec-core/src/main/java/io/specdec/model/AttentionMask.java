package io.specdec.model;

/**
 * Which positions each of the T new tokens of a forward may attend to. The committed prefix (the cache's first
 * {@code length} slots) is always visible; this mask decides visibility among the new tokens themselves:
 * {@code visible(i, j)} for new tokens i, j. {@link #causal(int)} is the ordinary chain; {@link #tree(int[])} is tree
 * attention (a node sees its ancestors and itself). Immutable.
 */
public final class AttentionMask {
    private final int size;
    private final boolean[] visible; // [size * size], row-major (query i, key j)
    private final boolean causal;

    private AttentionMask(int size, boolean[] visible, boolean causal) {
        this.size = size;
        this.visible = visible;
        this.causal = causal;
    }

    /** Lower-triangular mask over {@code t} new tokens. */
    public static AttentionMask causal(int t) {
        boolean[] v = new boolean[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                v[i * t + j] = true;
            }
        }
        return new AttentionMask(t, v, true);
    }

    /**
     * Tree attention: {@code parents[j]} is the index of node j's parent among the new tokens, or -1 when its parent
     * is the last committed token. Nodes must be in topological order ({@code parents[j] < j}).
     */
    public static AttentionMask tree(int[] parents) {
        int t = parents.length;
        boolean[] v = new boolean[t * t];
        for (int j = 0; j < t; j++) {
            int p = parents[j];
            if (p >= j || p < -1) {
                throw new IllegalArgumentException("tree nodes must be topologically ordered: parent of " + j
                        + " is " + p);
            }
            v[j * t + j] = true;
            if (p >= 0) {
                System.arraycopy(v, p * t, v, j * t, p + 1);
                v[j * t + j] = true;
            }
        }
        return new AttentionMask(t, v, false);
    }

    /** An arbitrary mask: {@code visible[i][j]} for new tokens i (query) and j (key). */
    public static AttentionMask of(boolean[][] visible) {
        int t = visible.length;
        boolean[] v = new boolean[t * t];
        for (int i = 0; i < t; i++) {
            if (visible[i].length != t) {
                throw new IllegalArgumentException("mask row " + i + " has " + visible[i].length + " entries, expected "
                        + t);
            }
            for (int j = 0; j < t; j++) {
                v[i * t + j] = visible[i][j];
            }
        }
        return new AttentionMask(t, v, false);
    }

    /** Number of new tokens. */
    public int size() {
        return size;
    }

    /** True for the plain causal mask (the runtime may skip building it). */
    public boolean isCausal() {
        return causal;
    }

    public boolean visible(int i, int j) {
        return visible[i * size + j];
    }

    /**
     * The additive mask over keys {@code [prefix + size]} for every query: 0 where visible, -inf elsewhere.
     * Shape {@code [size, prefix + size]}, row-major.
     */
    public float[] additive(int prefix) {
        int s = prefix + size;
        float[] m = new float[size * s];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                if (!visible[i * size + j]) {
                    m[i * s + prefix + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return m;
    }
}
