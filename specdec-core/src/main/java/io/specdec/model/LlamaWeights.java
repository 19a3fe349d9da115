package io.specdec.model;

import java.util.List;

/**
 * Host (Java heap) weights of a Llama-family model in one canonical form: every matrix row-major {@code [out, in]},
 * q/k rows in a stated {@link RopeLayout}. Loaders produce this; {@link LlamaModel} uploads it to the device.
 *
 * @param config the hyper-parameters the shapes follow
 * @param layout RoPE pairing of the q/k rows (and biases)
 * @param embedding {@code [vocab, dim]}
 * @param layers one entry per decoder layer
 * @param finalNorm {@code [dim]}
 * @param output LM head {@code [vocab, dim]}; {@code null} when tied to the embedding
 */
public record LlamaWeights(
        LlamaConfig config, RopeLayout layout, float[] embedding, List<Layer> layers, float[] finalNorm,
        float[] output) implements StreamedWeights {

    /**
     * One decoder layer.
     *
     * @param attnNorm {@code [dim]}
     * @param wq {@code [heads*headDim, dim]}
     * @param wk {@code [kvHeads*headDim, dim]}
     * @param wv {@code [kvHeads*headDim, dim]}
     * @param wo {@code [dim, heads*headDim]}
     * @param ffnNorm {@code [dim]}
     * @param wGate {@code [hidden, dim]} (llama2.c w1)
     * @param wUp {@code [hidden, dim]} (llama2.c w3)
     * @param wDown {@code [dim, hidden]} (llama2.c w2)
     * @param bq {@code [heads*headDim]} or null
     * @param bk {@code [kvHeads*headDim]} or null
     * @param bv {@code [kvHeads*headDim]} or null
     */
    public record Layer(
            float[] attnNorm, float[] wq, float[] wk, float[] wv, float[] wo, float[] ffnNorm, float[] wGate,
            float[] wUp, float[] wDown, float[] bq, float[] bk, float[] bv) {}

    /** Checks every array length against the config; throws naming the tensor. */
    public LlamaWeights {
        LlamaConfig c = config;
        check("embedding", embedding, (long) c.vocabSize() * c.dim());
        check("finalNorm", finalNorm, c.dim());
        if (output != null) {
            check("output", output, (long) c.vocabSize() * c.dim());
        } else if (!c.tiedEmbeddings()) {
            throw new IllegalArgumentException("config says untied embeddings but no output weight was given");
        }
        if (layers.size() != c.layers()) {
            throw new IllegalArgumentException("expected " + c.layers() + " layers, found " + layers.size());
        }
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "layer " + i + " ";
            check(p + "attnNorm", l.attnNorm, c.dim());
            check(p + "wq", l.wq, (long) c.qDim() * c.dim());
            check(p + "wk", l.wk, (long) c.kvDim() * c.dim());
            check(p + "wv", l.wv, (long) c.kvDim() * c.dim());
            check(p + "wo", l.wo, (long) c.dim() * c.qDim());
            check(p + "ffnNorm", l.ffnNorm, c.dim());
            check(p + "wGate", l.wGate, (long) c.hiddenDim() * c.dim());
            check(p + "wUp", l.wUp, (long) c.hiddenDim() * c.dim());
            check(p + "wDown", l.wDown, (long) c.dim() * c.hiddenDim());
            if (c.qkvBias()) {
                check(p + "bq", l.bq, c.qDim());
                check(p + "bk", l.bk, c.kvDim());
                check(p + "bv", l.bv, c.kvDim());
            }
        }
    }

    private static void check(String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException("weight " + name + " has " + (a == null ? "no data" : a.length
                    + " elements") + ", expected " + expected);
        }
    }

    /**
     * Random weights for {@code config} (half-split layout): matrices normal with standard deviation {@code scale},
     * embedding std 1, norm weights uniform in [0.8, 1.2], untied head std {@code 4·scale}. For tests and benchmarks
     * (dense kernels cost the same whatever the values). Deterministic for a seed.
     */
    public static LlamaWeights random(LlamaConfig config, long seed, float scale) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        LlamaConfig c = config;
        List<Layer> layers = new java.util.ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new Layer(uniform(r, c.dim()), gauss(r, (long) c.qDim() * c.dim(), scale),
                    gauss(r, (long) c.kvDim() * c.dim(), scale), gauss(r, (long) c.kvDim() * c.dim(), scale),
                    gauss(r, (long) c.dim() * c.qDim(), scale), uniform(r, c.dim()),
                    gauss(r, (long) c.hiddenDim() * c.dim(), scale), gauss(r, (long) c.hiddenDim() * c.dim(), scale),
                    gauss(r, (long) c.dim() * c.hiddenDim(), scale), c.qkvBias() ? gauss(r, c.qDim(), scale) : null,
                    c.qkvBias() ? gauss(r, c.kvDim(), scale) : null, c.qkvBias() ? gauss(r, c.kvDim(), scale) : null));
        }
        return new LlamaWeights(c, RopeLayout.HALF_SPLIT, gauss(r, (long) c.vocabSize() * c.dim(), 1f), layers,
                uniform(r, c.dim()), c.tiedEmbeddings() ? null : gauss(r, (long) c.vocabSize() * c.dim(), scale * 4));
    }

    private static float[] gauss(java.util.SplittableRandom r, long n, float scale) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            double u1 = r.nextDouble();
            double u2 = r.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * scale);
        }
        return a;
    }

    private static float[] uniform(java.util.SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (0.8 + 0.4 * r.nextDouble());
        }
        return a;
    }

    /**
     * The same weights with another context length: the runtime then accepts positions up to {@code n} (RoPE
     * extrapolates past a model's trained length; a draft model run past it loses acceptance, never correctness).
     */
    public LlamaWeights withContextLength(int n) {
        return new LlamaWeights(config.withContextLength(n), layout, embedding, layers, finalNorm, output);
    }

    /** The same weights with another RoPE scaling. */
    public LlamaWeights withRopeScaling(RopeScaling r) {
        return new LlamaWeights(config.withRopeScaling(r), layout, embedding, layers, finalNorm, output);
    }

    /** The LM head: {@link #output} or, when tied, the embedding. */
    public float[] lmHead() {
        return output != null ? output : embedding;
    }

    /** Decoder layer {@code i} (the {@link StreamedWeights} view). */
    @Override
    public Layer layer(int i) {
        return layers.get(i);
    }

    /**
     * Returns these weights with q/k rows (and biases) in the half-split layout. An interleaved pair (2i, 2i+1) of
     * head h moves to (i, i + headDim/2): the attention scores are unchanged because q and k are permuted alike.
     */
    public LlamaWeights toHalfSplit() {
        if (layout == RopeLayout.HALF_SPLIT) {
            return this;
        }
        LlamaConfig c = config;
        List<Layer> out = new java.util.ArrayList<>();
        for (Layer l : layers) {
            out.add(new Layer(l.attnNorm, permuteRows(l.wq, c.heads(), c.headDim(), c.dim()),
                    permuteRows(l.wk, c.kvHeads(), c.headDim(), c.dim()), l.wv, l.wo, l.ffnNorm, l.wGate, l.wUp,
                    l.wDown, l.bq == null ? null : permuteRows(l.bq, c.heads(), c.headDim(), 1),
                    l.bk == null ? null : permuteRows(l.bk, c.kvHeads(), c.headDim(), 1), l.bv));
        }
        return new LlamaWeights(c, RopeLayout.HALF_SPLIT, embedding, out, finalNorm, output);
    }

    /** Interleaved → half-split row permutation per head: new row i = old 2i, new row half+i = old 2i+1. */
    static float[] permuteRows(float[] w, int heads, int headDim, int cols) {
        float[] r = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                int base = h * headDim;
                System.arraycopy(w, (base + 2 * i) * cols, r, (base + i) * cols, cols);
                System.arraycopy(w, (base + 2 * i + 1) * cols, r, (base + half + i) * cols, cols);
            }
        }
        return r;
    }

    /** Half-split → interleaved (inverse of {@link #permuteRows}); used by writers that emit GGUF layout. */
    public static float[] unpermuteRows(float[] w, int heads, int headDim, int cols) {
        float[] r = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                int base = h * headDim;
                System.arraycopy(w, (base + i) * cols, r, (base + 2 * i) * cols, cols);
                System.arraycopy(w, (base + half + i) * cols, r, (base + 2 * i + 1) * cols, cols);
            }
        }
        return r;
    }
}
