package io.specdec.drafters.heads;

/** Top-k selection, ranks and log-softmax normalisers on host rows. Stateless. */
final class TopK {
    private TopK() {}

    /** Indices of the {@code k} largest entries of {@code x}, largest first (ties: lower index first). */
    static int[] indices(float[] x, int k) {
        k = Math.min(k, x.length);
        int[] idx = new int[k];
        float[] val = new float[k];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (n == k && !(v > val[k - 1])) {
                continue;
            }
            int j = n < k ? n++ : k - 1;
            while (j > 0 && v > val[j - 1]) {
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
    static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : x) {
            z += Math.exp(v - max);
        }
        return max + Math.log(z);
    }

    /** Rank of entry {@code i} in {@code x} (0 = the largest; ties count against it). */
    static int rank(float[] x, int i) {
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
