package io.specdec.sampling;

/**
 * Top-k selection, ranks and log-softmax normalisers on host rows: the one top-k of the library (draft trees, heads,
 * Token Recycling's adjacency rows). Ties go to the lower index; NaN never ranks above a number. Stateless.
 */
public final class TopK {
    private TopK() {}

    /** Indices of the {@code k} largest entries of {@code x}, largest first (ties: lower index first). */
    public static int[] indices(float[] x, int k) {
        return indices(x, 0, x.length, k);
    }

    /**
     * Indices (relative to {@code offset}) of the {@code k} largest entries of {@code x[offset, offset+n)}, largest
     * first, by a partial insertion selection: O(n·k). Returns {@code min(k, n)} indices.
     */
    public static int[] indices(float[] x, int offset, int n, int k) {
        k = Math.max(0, Math.min(k, n));
        int[] idx = new int[k];
        float[] val = new float[k];
        int filled = 0;
        for (int i = 0; i < n && k > 0; i++) {
            float v = x[offset + i];
            if (filled == k && !(v > val[k - 1])) {
                continue;
            }
            int j = filled < k ? filled++ : k - 1;
            while (j > 0 && (v > val[j - 1] || Float.isNaN(val[j - 1]) && !Float.isNaN(v))) {
                val[j] = val[j - 1];
                idx[j] = idx[j - 1];
                j--;
            }
            val[j] = v;
            idx[j] = i;
        }
        return idx;
    }

    /** {@code log Σ exp(x)}, computed stably: {@code log softmax(x)_i = x_i - logSumExp(x)}. */
    public static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double z = 0;
        for (float v : x) {
            z += Math.exp(v - max);
        }
        return max + Math.log(z);
    }

    /** Rank of entry {@code i} in {@code x} (0 = the largest; ties count against it). */
    public static int rank(float[] x, int i) {
        float v = x[i];
        int r = 0;
        for (int j = 0; j < x.length; j++) {
            if (x[j] > v || (x[j] == v && j < i)) {
                r++;
            }
        }
        return r;
    }
}
