package io.specdec.testing;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;

/**
 * A deliberately naive scalar Llama forward (one token at a time, full recomputation of attention, HF
 * {@code rotate_half} RoPE, explicit GQA head mapping), written from the HF {@code modeling_llama} equations and
 * sharing no code with the runtime. It is the independent reference for configurations the golden files do not
 * cover (GQA ratios, q/k/v bias, RoPE theta, untied heads). Slow; for tiny models only.
 */
public final class ReferenceLlama {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final float[][][] kCache; // [layer][pos][kvDim]
    private final float[][][] vCache;
    private int pos;

    public ReferenceLlama(LlamaWeights weights) {
        this.w = weights.toHalfSplit();
        this.c = w.config();
        kCache = new float[c.layers()][c.contextLength()][];
        vCache = new float[c.layers()][c.contextLength()][];
    }

    /** Feeds one token at the next position and returns its logits. */
    public float[] step(int token) {
        int d = c.dim();
        float[] x = new float[d];
        System.arraycopy(w.embedding(), token * d, x, 0, d);
        for (int l = 0; l < c.layers(); l++) {
            LlamaWeights.Layer L = w.layers().get(l);
            float[] h = rms(x, L.attnNorm());
            float[] q = matvec(L.wq(), h, c.qDim(), d, L.bq());
            float[] k = matvec(L.wk(), h, c.kvDim(), d, L.bk());
            float[] v = matvec(L.wv(), h, c.kvDim(), d, L.bv());
            rope(q, c.heads());
            rope(k, c.kvHeads());
            kCache[l][pos] = k;
            vCache[l][pos] = v;
            float[] att = new float[c.qDim()];
            int hd = c.headDim();
            int group = c.heads() / c.kvHeads();
            for (int hq = 0; hq < c.heads(); hq++) {
                int kv = hq / group;
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += q[hq * hd + i] * kCache[l][t][kv * hd + i];
                    }
                    s[t] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) {
                    s[t] = Math.exp(s[t] - max);
                    sum += s[t];
                }
                for (int t = 0; t <= pos; t++) {
                    for (int i = 0; i < hd; i++) {
                        att[hq * hd + i] += (float) (s[t] / sum * vCache[l][t][kv * hd + i]);
                    }
                }
            }
            float[] o = matvec(L.wo(), att, d, c.qDim(), null);
            for (int i = 0; i < d; i++) {
                x[i] += o[i];
            }
            float[] h2 = rms(x, L.ffnNorm());
            float[] g = matvec(L.wGate(), h2, c.hiddenDim(), d, null);
            float[] u = matvec(L.wUp(), h2, c.hiddenDim(), d, null);
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
            }
            float[] dn = matvec(L.wDown(), g, d, c.hiddenDim(), null);
            for (int i = 0; i < d; i++) {
                x[i] += dn[i];
            }
        }
        pos++;
        return matvec(w.lmHead(), rms(x, w.finalNorm()), c.vocabSize(), d, null);
    }

    private float[] rms(float[] x, float[] g) {
        double ss = 0;
        for (float v : x) {
            ss += v * v;
        }
        double r = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        float[] o = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            o[i] = (float) (x[i] * r * g[i]);
        }
        return o;
    }

    private static float[] matvec(float[] m, float[] v, int rows, int cols, float[] bias) {
        float[] o = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = bias == null ? 0 : bias[r];
            for (int k = 0; k < cols; k++) {
                s += m[r * cols + k] * v[k];
            }
            o[r] = (float) s;
        }
        return o;
    }

    /** HF rotate_half RoPE: pairs (i, i + hd/2), frequency theta^(-2i/hd). */
    private void rope(float[] a, int heads) {
        int hd = c.headDim();
        int half = hd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double f = pos / Math.pow(c.ropeTheta(), 2.0 * i / hd);
                double cs = Math.cos(f);
                double sn = Math.sin(f);
                int i0 = h * hd + i;
                int i1 = i0 + half;
                double x0 = a[i0];
                double x1 = a[i1];
                a[i0] = (float) (x0 * cs - x1 * sn);
                a[i1] = (float) (x1 * cs + x0 * sn);
            }
        }
    }
}
