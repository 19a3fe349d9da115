package io.specdec.model;

/**
 * Which positions each of the T new tokens of a forward may attend to. The committed prefix (the cache's first
 * {@code length} slots) is always visible; this mask decides visibility among the new tokens themselves:
 * {@code visible(i, j)} for new tokens i, j. {@link #causal(int)} is the ordinary chain; {@link #tree(int[])} is tree
 * attention (a node sees its ancestors and itself).
 *
 * <p>A mask may also cover the last {@code history} cache slots before the new tokens ({@link #withHistory}): then
 * only the slots before those are always visible, and key index j runs over {@code history + size} entries (the
 * history slots first). A drafter that grows a tree level by level in its own cache (EAGLE-2) uses it so a node sees
 * its ancestors from earlier levels but not their siblings. Immutable.
 */
public final class AttentionMask {
    private final int size;
    private final int history;
    private final boolean[] visible; // [size * (history + size)], row-major (query i, key j)
    private final boolean causal;

    private AttentionMask(int size, boolean[] visible, boolean causal) {
        this(size, 0, visible, causal);
    }

    private AttentionMask(int size, int history, boolean[] visible, boolean causal) {
        this.size = size;
        this.history = history;
        this.visible = visible;
        this.causal = causal;
    }

    /**
     * A mask over the last {@code history} cached slots and the new tokens: {@code visible[i][j]} for new token i
     * and key j in {@code [0, history + size)} (j below {@code history} = cached slot
     * {@code length - history + j}). Slots before those are visible to every new token.
     */
    public static AttentionMask withHistory(int history, boolean[][] visible) {
        int t = visible.length;
        if (history < 0) {
            throw new IllegalArgumentException("history must be >= 0, found " + history);
        }
        int w = history + t;
        boolean[] v = new boolean[t * w];
        for (int i = 0; i < t; i++) {
            if (visible[i].length != w) {
                throw new IllegalArgumentException("mask row " + i + " has " + visible[i].length + " entries, expected "
                        + w + " (history " + history + " + " + t + " new)");
            }
            System.arraycopy(visible[i], 0, v, i * w, w);
        }
        return new AttentionMask(t, history, v, false);
    }

    /** Cached slots (just before the new tokens) this mask covers; 0 for the usual masks. */
    public int history() {
        return history;
    }

    /**
     * Whether new token i sees key j of the covered window (j in {@code [0, history + size)}; j below
     * {@code history} is a cached slot).
     */
    public boolean visibleKey(int i, int j) {
        return visible[i * (history + size) + j];
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

    /** Whether new token i sees new token j. */
    public boolean visible(int i, int j) {
        return visible[i * (history + size) + history + j];
    }

    /**
     * The additive mask over keys {@code [prefix + size]} for every query: 0 where visible, -inf elsewhere.
     * Shape {@code [size, prefix + size]}, row-major.
     */
    public float[] additive(int prefix) {
        if (history > prefix) {
            throw new IllegalArgumentException("mask covers " + history + " cached slots, the cache holds " + prefix);
        }
        int s = prefix + size;
        int w = history + size;
        float[] m = new float[size * s];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < w; j++) {
                if (!visible[i * w + j]) {
                    m[i * s + prefix - history + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return m;
    }
}
