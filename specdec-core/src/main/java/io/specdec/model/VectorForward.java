package io.specdec.model;

import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * The {@code vector} kernel of {@link LlamaModel} (see {@link Kernels}): the same decoder with the residual stream
 * on the host. Per layer the host computes RMSNorm, the fused q/k/v projection, RoPE, the output projection, the
 * SwiGLU MLP, the residual adds ({@link VectorMatmul}) and grouped-query attention over the host form of the
 * {@link KvCache} (tree masks included). A forward makes no native call at all — on tiny models the torch kernel's
 * ~40 native calls per layer are the whole cost — and every projection reads its weight once whatever T is.
 *
 * <p>Math is the torch kernel's, step for step: norm weights and {@code sqrt(dim)} folded into the next projection's
 * columns, {@code 1/sqrt(headDim)} folded into q, RoPE in the half-split layout, {@code x/sqrt(Σx² + dim·eps)} as the
 * norm. Results agree with the torch kernel to float rounding (tested to 1e-4 on logits); every row's result is
 * independent of the batch it is computed in.
 *
 * <p>Shapes on the host are row-major {@code [T, width]}. Memory: the packed weights live on the Java heap
 * (4 bytes per parameter). Thread safety: immutable; forwards on different caches may run concurrently.
 */
final class VectorForward {
    private final LlamaConfig c;
    private final float[] embedding;   // [V, D]
    private final float[] finalNorm;   // [D], times sqrt(D)
    private final float[] cos;         // [context, half]
    private final float[] sin;         // [context, half]
    private final VectorMatmul head;   // [V, D]
    private final VectorMatmul[] qkv;  // [qd + 2kd, D], attention norm folded in, q scaled
    private final VectorMatmul[] wo;   // [D, qd]
    private final VectorMatmul[] gu;   // [2H, D], FFN norm folded in
    private final VectorMatmul[] down; // [D, H]

    VectorForward(LlamaWeights w) {
        this.c = w.config();
        int d = c.dim();
        int qd = c.qDim();
        int kd = c.kvDim();
        int h = c.hiddenDim();
        float sqrtD = (float) Math.sqrt(d);
        embedding = w.embedding();
        head = new VectorMatmul(w.lmHead(), c.vocabSize(), d, null);
        finalNorm = scaled(w.finalNorm(), sqrtD);
        int half = c.headDim() / 2;
        cos = new float[c.contextLength() * half];
        sin = new float[c.contextLength() * half];
        float[] table = LlamaModel.ropeTable(c, false);
        for (int p = 0; p < c.contextLength(); p++) {
            for (int j = 0; j < half; j++) {
                cos[p * half + j] = table[p * 2 * c.headDim() + j];
                sin[p * half + j] = table[p * 2 * c.headDim() + c.headDim() + j];
            }
        }
        int nl = c.layers();
        qkv = new VectorMatmul[nl];
        wo = new VectorMatmul[nl];
        gu = new VectorMatmul[nl];
        down = new VectorMatmul[nl];
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        List<LlamaWeights.Layer> layers = w.layers();
        for (int i = 0; i < nl; i++) {
            LlamaWeights.Layer l = layers.get(i);
            float[] f = new float[(qd + 2 * kd) * d];
            System.arraycopy(scaled(l.wq(), scale), 0, f, 0, qd * d);
            System.arraycopy(l.wk(), 0, f, qd * d, kd * d);
            System.arraycopy(l.wv(), 0, f, (qd + kd) * d, kd * d);
            foldColumns(f, scaled(l.attnNorm(), sqrtD));
            float[] b = null;
            if (c.qkvBias()) {
                b = new float[qd + 2 * kd];
                System.arraycopy(scaled(l.bq(), scale), 0, b, 0, qd);
                System.arraycopy(l.bk(), 0, b, qd, kd);
                System.arraycopy(l.bv(), 0, b, qd + kd, kd);
            }
            qkv[i] = new VectorMatmul(f, qd + 2 * kd, d, b);
            wo[i] = new VectorMatmul(l.wo(), d, qd, null);
            float[] g = new float[2 * h * d];
            System.arraycopy(l.wGate(), 0, g, 0, h * d);
            System.arraycopy(l.wUp(), 0, g, h * d, h * d);
            foldColumns(g, scaled(l.ffnNorm(), sqrtD));
            gu[i] = new VectorMatmul(g, 2 * h, d, null);
            down[i] = new VectorMatmul(l.wDown(), d, h, null);
        }
    }

    /** Bytes of heap the packed weights hold. */
    long bytes() {
        long b = head.bytes() + 4L * (embedding.length + finalNorm.length + cos.length + sin.length);
        for (int i = 0; i < qkv.length; i++) {
            b += qkv[i].bytes() + wo[i].bytes() + gu[i].bytes() + down[i].bytes();
        }
        return b;
    }

    /**
     * One forward; the caller ({@link LlamaModel#forward}) has validated tokens, positions, mask, exit and hidden
     * layers and holds the cache. {@code inputs} ({@code [T, D]}), when not null, replaces the token embeddings.
     *
     * @param manager the model's manager (a sub-manager is opened per forward; device outputs get one of their own)
     */
    ForwardResult forward(NDManager manager, KvCache cache, int[] tokens, float[] inputs, int[] positions,
            AttentionMask mask, ForwardOptions options, int exit) {
        if (!cache.isHost()) {
            throw new IllegalArgumentException("the vector kernel needs a host cache (the model's newCache)");
        }
        int t = positions.length;
        int d = c.dim();
        int qd = c.qDim();
        int kd = c.kvDim();
        int hdim = c.hiddenDim();
        int prefix = cache.length();
        int s = prefix + t;
        int[] hiddenLayers = options.hiddenLayers();
        float[][] layerHidden = new float[hiddenLayers.length][];
        float[] x;
        if (inputs != null) {
            x = inputs.clone();
        } else {
            x = new float[t * d];
            for (int i = 0; i < t; i++) {
                System.arraycopy(embedding, tokens[i] * d, x, i * d, d);
            }
        }
        float[] hn = new float[t * d];
        float[] qkvOut = new float[t * (qd + 2 * kd)];
        float[] q = new float[t * qd];
        float[] k = new float[t * kd];
        float[] v = new float[t * kd];
        float[] att = new float[t * qd];
        float[] proj = new float[t * d];
        float[] guOut = new float[t * 2 * hdim];
        float[] act = new float[t * hdim];
        boolean[] visible = new boolean[t * s];
        int from = prefix - (mask == null ? 0 : mask.history()); // first slot the mask decides
        for (int r = 0; r < t; r++) {
            for (int j = 0; j < s; j++) {
                int nj = j - from;
                visible[r * s + j] = nj < 0 || (mask == null ? j - prefix <= r : mask.visibleKey(r, nj));
            }
        }
        float[] scores = new float[s];
        for (int l = 0; l < exit; l++) {
            rmsNorm(x, t, hn);
            qkv[l].apply(hn, t, qkvOut);
            splitRope(qkvOut, t, positions, q, k, v);
            float[] kc = cache.hostKeys(l);
            float[] vc = cache.hostValues(l);
            System.arraycopy(k, 0, kc, prefix * kd, t * kd);
            System.arraycopy(v, 0, vc, prefix * kd, t * kd);
            attention(q, kc, vc, t, s, visible, scores, att);
            wo[l].apply(att, t, proj);
            add(x, proj);
            rmsNorm(x, t, hn);
            gu[l].apply(hn, t, guOut);
            VectorMatmul.swiglu(guOut, t, hdim, act);
            down[l].apply(act, t, proj);
            add(x, proj);
            for (int kk = 0; kk < hiddenLayers.length; kk++) {
                if (hiddenLayers[kk] == l + 1) {
                    layerHidden[kk] = x.clone();
                }
            }
        }
        cache.advance(t);
        float[] hf = new float[t * d];
        rmsNorm(x, t, hf);
        for (int r = 0; r < t; r++) {
            for (int j = 0; j < d; j++) {
                hf[r * d + j] *= finalNorm[j];
            }
        }
        int rows = options.logitRows() == 1 ? 1 : t;
        float[] headIn = rows == t ? hf : java.util.Arrays.copyOfRange(hf, (t - 1) * d, t * d);
        float[] logits = new float[rows * c.vocabSize()];
        head.apply(headIn, rows, logits);
        return ForwardResult.ofHost(rows, t, c.vocabSize(), d, logits, options.lastHidden() ? hf : null, layerHidden,
                options.deviceOutputs() ? manager.newSubManager() : null);
    }

    /**
     * Grouped-query attention of the T new rows over cache slots {@code [0, s)}: {@code visible[r·s + j]} says which
     * slots row r sees (the committed prefix, and its tree ancestors or causal predecessors among the new rows).
     * Scores are {@code q·k} (q carries {@code 1/sqrt(hd)}), softmax over the visible slots, then the weighted sum of
     * values; {@code out} is {@code [T, H·hd]}.
     */
    private void attention(float[] q, float[] kc, float[] vc, int t, int s, boolean[] visible, float[] scores,
            float[] out) {
        int hd = c.headDim();
        int kd = c.kvDim();
        int qd = c.qDim();
        int g = c.heads() / c.kvHeads();
        java.util.Arrays.fill(out, 0, t * qd, 0f);
        for (int r = 0; r < t; r++) {
            int vis = r * s;
            for (int head = 0; head < c.heads(); head++) {
                int qo = r * qd + head * hd;
                int ko = (head / g) * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    if (!visible[vis + j]) {
                        scores[j] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    int kj = j * kd + ko;
                    float dot = 0f;
                    for (int e = 0; e < hd; e++) {
                        dot += q[qo + e] * kc[kj + e];
                    }
                    scores[j] = dot;
                    max = Math.max(max, dot);
                }
                float sum = 0f;
                for (int j = 0; j < s; j++) {
                    float p = visible[vis + j] ? (float) Math.exp(scores[j] - max) : 0f;
                    scores[j] = p;
                    sum += p;
                }
                float inv = 1f / sum;
                for (int j = 0; j < s; j++) {
                    float p = scores[j] * inv;
                    if (p == 0f) {
                        continue;
                    }
                    int vj = j * kd + ko;
                    for (int e = 0; e < hd; e++) {
                        out[qo + e] += p * vc[vj + e];
                    }
                }
            }
        }
    }

    /** {@code out = x / sqrt(Σx² + dim·eps)} per row (the weights and sqrt(dim) live in the next projection). */
    private void rmsNorm(float[] x, int t, float[] out) {
        int d = c.dim();
        float eps = d * c.rmsEps();
        for (int r = 0; r < t; r++) {
            int o = r * d;
            float ss = 0f;
            for (int j = 0; j < d; j++) {
                ss += x[o + j] * x[o + j];
            }
            float inv = (float) (1.0 / Math.sqrt(ss + eps));
            for (int j = 0; j < d; j++) {
                out[o + j] = x[o + j] * inv;
            }
        }
    }

    /**
     * Splits the fused projection into q {@code [T, H, hd]}, k {@code [T, KV, hd]} and v {@code [T, KV, hd]} (the
     * cache's slot layout), applying RoPE (half-split pairing) to q and k.
     */
    private void splitRope(float[] qkvOut, int t, int[] positions, float[] q, float[] k, float[] v) {
        int qd = c.qDim();
        int kd = c.kvDim();
        int hd = c.headDim();
        int half = hd / 2;
        int width = qd + 2 * kd;
        for (int r = 0; r < t; r++) {
            int base = r * width;
            int po = positions[r] * half;
            for (int head = 0; head < c.heads(); head++) {
                rope(qkvOut, base + head * hd, q, r * qd + head * hd, po, half);
            }
            for (int head = 0; head < c.kvHeads(); head++) {
                rope(qkvOut, base + qd + head * hd, k, (r * c.kvHeads() + head) * hd, po, half);
            }
            System.arraycopy(qkvOut, base + qd + kd, v, r * kd, kd);
        }
    }

    private void rope(float[] src, int so, float[] dst, int dO, int po, int half) {
        for (int j = 0; j < half; j++) {
            float a = src[so + j];
            float b = src[so + half + j];
            float cs = cos[po + j];
            float sn = sin[po + j];
            dst[dO + j] = a * cs - b * sn;
            dst[dO + half + j] = b * cs + a * sn;
        }
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    private static float[] scaled(float[] a, float s) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] * s;
        }
        return r;
    }

    /** Multiplies column j of a row-major [rows, n] matrix by {@code g[j]}. */
    private static void foldColumns(float[] m, float[] g) {
        int n = g.length;
        for (int i = 0; i < m.length; i++) {
            m[i] *= g[i % n];
        }
    }
}
