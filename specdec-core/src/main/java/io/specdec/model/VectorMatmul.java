package io.specdec.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x·Wᵀ} on the CPU with the JDK's Vector API, for the small row counts of decoding and verification
 * (T = 1..64): the weight is read once per call whatever T is, so up to about T = 8 a call costs what reading the
 * weight from memory costs — the flat c(T) that llama.cpp's own kernels reach and the BLAS path PyTorch takes here
 * does not (it packs the weight for every call; measured in {@code ProjectionBenchmark}).
 *
 * <p>Layout: W {@code [N, K]} is repacked at construction into panels of {@value #PANEL} output columns, each panel
 * {@code [K, PANEL]} contiguous, so one call streams the weight sequentially. Per panel the kernel accumulates
 * {@code y[r, panel] += x[r, k..k+3] · W[k..k+3, panel]} for blocks of 4 rows and 4 k, keeping 16 broadcasts, 4
 * weight vectors and 4 accumulators in registers.
 *
 * <p>Numerics: every output element is summed in the same order (k ascending in blocks of four) whatever T is and
 * wherever its row sits in the batch, so a row's result does not depend on the batch it was computed in (a verify
 * row equals the autoregressive row bit for bit). Results differ from BLAS by float rounding only.
 *
 * <p>Needs the {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector}); load this class only
 * after {@link Kernels#vectorAvailable()} said so. Immutable and thread-safe: the caller passes the scratch.
 */
final class VectorMatmul {
    /** Output columns per packed panel. */
    static final int PANEL = 64;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int n;
    private final int k;
    private final float[] packed; // panels of [K, PANEL] (last panel narrower)
    private final float[] bias;   // [N] or null

    /**
     * @param w row-major {@code [n, k]}
     * @param bias {@code [n]} or null
     */
    VectorMatmul(float[] w, int n, int k, float[] bias) {
        if (w.length != (long) n * k) {
            throw new IllegalArgumentException("weight has " + w.length + " floats, expected " + n + " x " + k);
        }
        if (PANEL % S.length() != 0) {
            throw new IllegalStateException("vector length " + S.length() + " does not divide the panel width");
        }
        this.n = n;
        this.k = k;
        this.bias = bias == null ? null : bias.clone();
        this.packed = new float[w.length];
        int o = 0;
        for (int nb = 0; nb < n; nb += PANEL) {
            int len = Math.min(PANEL, n - nb);
            for (int kk = 0; kk < k; kk++) {
                for (int j = 0; j < len; j++) {
                    packed[o++] = w[(nb + j) * k + kk];
                }
            }
        }
    }

    int rows() {
        return n;
    }

    int cols() {
        return k;
    }

    /** Bytes of the packed weight. */
    long bytes() {
        return 4L * packed.length;
    }

    /**
     * Computes {@code y[t, n] = Σ_k x[t, k]·W[n, k] (+ bias[n])}.
     *
     * @param x row-major {@code [t, k]}
     * @param t rows
     * @param y row-major {@code [t, n]}, overwritten
     */
    void apply(float[] x, int t, float[] y) {
        float[] acc = new float[t * PANEL];
        for (int nb = 0; nb < n; nb += PANEL) {
            int len = Math.min(PANEL, n - nb);
            panel(x, t, nb * k, len, acc);
            for (int r = 0; r < t; r++) {
                System.arraycopy(acc, r * len, y, r * n + nb, len);
            }
        }
        if (bias != null) {
            for (int r = 0; r < t; r++) {
                for (int j = 0; j < n; j++) {
                    y[r * n + j] += bias[j];
                }
            }
        }
    }

    /** One panel {@code [k, len]} at {@code base}: {@code acc[r, 0..len)} for every row. */
    private void panel(float[] x, int t, int base, int len, float[] acc) {
        java.util.Arrays.fill(acc, 0, t * len, 0f);
        int vec = len - len % S.length();
        int kk = 0;
        for (; kk + 4 <= k; kk += 4) {
            int w0 = base + kk * len;
            int w1 = w0 + len;
            int w2 = w1 + len;
            int w3 = w2 + len;
            int r = 0;
            for (; r + 4 <= t; r += 4) {
                int x0 = r * k + kk;
                int x1 = x0 + k;
                int x2 = x1 + k;
                int x3 = x2 + k;
                FloatVector a00 = FloatVector.broadcast(S, x[x0]);
                FloatVector a01 = FloatVector.broadcast(S, x[x0 + 1]);
                FloatVector a02 = FloatVector.broadcast(S, x[x0 + 2]);
                FloatVector a03 = FloatVector.broadcast(S, x[x0 + 3]);
                FloatVector a10 = FloatVector.broadcast(S, x[x1]);
                FloatVector a11 = FloatVector.broadcast(S, x[x1 + 1]);
                FloatVector a12 = FloatVector.broadcast(S, x[x1 + 2]);
                FloatVector a13 = FloatVector.broadcast(S, x[x1 + 3]);
                FloatVector a20 = FloatVector.broadcast(S, x[x2]);
                FloatVector a21 = FloatVector.broadcast(S, x[x2 + 1]);
                FloatVector a22 = FloatVector.broadcast(S, x[x2 + 2]);
                FloatVector a23 = FloatVector.broadcast(S, x[x2 + 3]);
                FloatVector a30 = FloatVector.broadcast(S, x[x3]);
                FloatVector a31 = FloatVector.broadcast(S, x[x3 + 1]);
                FloatVector a32 = FloatVector.broadcast(S, x[x3 + 2]);
                FloatVector a33 = FloatVector.broadcast(S, x[x3 + 3]);
                int y0 = r * len;
                int y1 = y0 + len;
                int y2 = y1 + len;
                int y3 = y2 + len;
                for (int j = 0; j < vec; j += S.length()) {
                    FloatVector v0 = FloatVector.fromArray(S, packed, w0 + j);
                    FloatVector v1 = FloatVector.fromArray(S, packed, w1 + j);
                    FloatVector v2 = FloatVector.fromArray(S, packed, w2 + j);
                    FloatVector v3 = FloatVector.fromArray(S, packed, w3 + j);
                    v3.fma(a03, v2.fma(a02, v1.fma(a01, v0.fma(a00, FloatVector.fromArray(S, acc, y0 + j)))))
                            .intoArray(acc, y0 + j);
                    v3.fma(a13, v2.fma(a12, v1.fma(a11, v0.fma(a10, FloatVector.fromArray(S, acc, y1 + j)))))
                            .intoArray(acc, y1 + j);
                    v3.fma(a23, v2.fma(a22, v1.fma(a21, v0.fma(a20, FloatVector.fromArray(S, acc, y2 + j)))))
                            .intoArray(acc, y2 + j);
                    v3.fma(a33, v2.fma(a32, v1.fma(a31, v0.fma(a30, FloatVector.fromArray(S, acc, y3 + j)))))
                            .intoArray(acc, y3 + j);
                }
                for (int j = vec; j < len; j++) {
                    tail4(x, x0, acc, y0 + j, w0 + j, len);
                    tail4(x, x1, acc, y1 + j, w0 + j, len);
                    tail4(x, x2, acc, y2 + j, w0 + j, len);
                    tail4(x, x3, acc, y3 + j, w0 + j, len);
                }
            }
            for (; r < t; r++) {
                int x0 = r * k + kk;
                FloatVector a0 = FloatVector.broadcast(S, x[x0]);
                FloatVector a1 = FloatVector.broadcast(S, x[x0 + 1]);
                FloatVector a2 = FloatVector.broadcast(S, x[x0 + 2]);
                FloatVector a3 = FloatVector.broadcast(S, x[x0 + 3]);
                int y0 = r * len;
                for (int j = 0; j < vec; j += S.length()) {
                    FloatVector s0 = FloatVector.fromArray(S, packed, w0 + j).fma(a0, FloatVector.fromArray(S, acc, y0 + j));
                    FloatVector s1 = FloatVector.fromArray(S, packed, w1 + j).fma(a1, s0);
                    FloatVector s2 = FloatVector.fromArray(S, packed, w2 + j).fma(a2, s1);
                    FloatVector.fromArray(S, packed, w3 + j).fma(a3, s2).intoArray(acc, y0 + j);
                }
                for (int j = vec; j < len; j++) {
                    tail4(x, x0, acc, y0 + j, w0 + j, len);
                }
            }
        }
        for (; kk < k; kk++) {
            int w0 = base + kk * len;
            for (int r = 0; r < t; r++) {
                float a = x[r * k + kk];
                int y0 = r * len;
                for (int j = 0; j < len; j++) {
                    acc[y0 + j] = Math.fma(packed[w0 + j], a, acc[y0 + j]);
                }
            }
        }
    }

    /**
     * SwiGLU: {@code out[r, j] = g·sigmoid(g)·u} with {@code g = gu[r, j]}, {@code u = gu[r, h + j]} ({@code gu} is
     * {@code [t, 2h]}, {@code out} {@code [t, h]}). Every element takes the vector path (the last one masked).
     */
    static void swiglu(float[] gu, int t, int h, float[] out) {
        for (int r = 0; r < t; r++) {
            int go = r * 2 * h;
            int ao = r * h;
            for (int j = 0; j < h; j += S.length()) {
                VectorMask<Float> m = S.indexInRange(j, h);
                FloatVector g = FloatVector.fromArray(S, gu, go + j, m);
                FloatVector u = FloatVector.fromArray(S, gu, go + h + j, m);
                FloatVector e = g.neg().lanewise(VectorOperators.EXP).add(1f);
                g.div(e).mul(u).intoArray(out, ao + j, m);
            }
        }
    }

    /** Scalar form of one lane of the 4-k step: the same chain of fused multiply-adds as the vector lanes. */
    private void tail4(float[] x, int xo, float[] acc, int yi, int wi, int len) {
        float s = Math.fma(packed[wi], x[xo], acc[yi]);
        s = Math.fma(packed[wi + len], x[xo + 1], s);
        s = Math.fma(packed[wi + 2 * len], x[xo + 2], s);
        acc[yi] = Math.fma(packed[wi + 3 * len], x[xo + 3], s);
    }
}
