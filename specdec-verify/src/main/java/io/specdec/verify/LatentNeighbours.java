package io.specdec.verify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.specdec.model.TargetView;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Each token's {@code k} nearest tokens in the target's input-embedding space by cosine similarity (LANTERN's latent
 * proximity, Jang et al. 2024), nearest first, the token itself excluded. The embedding matrix is copied once,
 * row-normalised, as {@code [vocab, dim]} floats ({@code vocab · dim · 4} bytes: 128 KiB for stories260K, 256 MiB for
 * a 32K × 2048 model); a token's list is computed on first use ({@code vocab · dim} multiply-adds) and kept.
 * Thread-safe.
 */
public final class LatentNeighbours {
    private final float[] unit;
    private final int vocab;
    private final int dim;
    private final int k;
    private final AtomicReferenceArray<int[]> lists;

    private LatentNeighbours(float[] unit, int vocab, int dim, int k) {
        this.unit = unit;
        this.vocab = vocab;
        this.dim = dim;
        this.k = k;
        this.lists = new AtomicReferenceArray<>(vocab);
    }

    /** From the target's embedding rows, {@code k} neighbours per token ({@code 1 <= k < vocab}). */
    public static LatentNeighbours of(TargetView target, NDManager manager, int k) {
        int v = target.config().vocabSize();
        int d = target.config().dim();
        if (k < 1 || k >= v) {
            throw new IllegalArgumentException("neighbours per token must be in 1.." + (v - 1) + ", found " + k);
        }
        float[] e = new float[v * d];
        int chunk = 256;
        for (int t0 = 0; t0 < v; t0 += chunk) {
            int n = Math.min(chunk, v - t0);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = t0 + i;
            }
            try (NDManager sub = manager.newSubManager(); NDArray rows = target.embed(sub, ids)) {
                System.arraycopy(rows.toFloatArray(), 0, e, t0 * d, n * d);
            }
        }
        return of(e, v, d, k);
    }

    /** From an embedding matrix {@code [vocab, dim]} (copied). */
    public static LatentNeighbours of(float[] embeddings, int vocab, int dim, int k) {
        if (embeddings.length != vocab * dim) {
            throw new IllegalArgumentException("embeddings: expected " + vocab + " x " + dim + " floats, found "
                    + embeddings.length);
        }
        float[] u = embeddings.clone();
        for (int t = 0; t < vocab; t++) {
            double s = 0;
            for (int j = 0; j < dim; j++) {
                s += (double) u[t * dim + j] * u[t * dim + j];
            }
            float inv = s > 0 ? (float) (1 / Math.sqrt(s)) : 0f;
            for (int j = 0; j < dim; j++) {
                u[t * dim + j] *= inv;
            }
        }
        return new LatentNeighbours(u, vocab, dim, k);
    }

    /** Neighbours per token. */
    public int k() {
        return k;
    }

    /** The {@code k} tokens nearest to {@code token}, nearest first (ties by lower id). Do not modify. */
    public int[] of(int token) {
        int[] l = lists.get(token);
        if (l != null) {
            return l;
        }
        float[] sim = new float[vocab];
        int o = token * dim;
        for (int t = 0; t < vocab; t++) {
            float s = 0;
            int r = t * dim;
            for (int j = 0; j < dim; j++) {
                s += unit[o + j] * unit[r + j];
            }
            sim[t] = s;
        }
        int[] best = new int[k];
        int n = 0;
        for (int t = 0; t < vocab; t++) {
            if (t == token) {
                continue;
            }
            if (n < k) {
                best[n++] = t;
            } else if (sim[t] > sim[best[k - 1]]) {
                best[k - 1] = t;
            } else {
                continue;
            }
            for (int i = n - 1; i > 0 && sim[best[i]] > sim[best[i - 1]]; i--) { // keep sorted, stable for ties
                int tmp = best[i];
                best[i] = best[i - 1];
                best[i - 1] = tmp;
            }
        }
        lists.compareAndSet(token, null, best);
        return lists.get(token);
    }
}
