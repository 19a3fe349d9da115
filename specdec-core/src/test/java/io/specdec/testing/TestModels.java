package io.specdec.testing;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Tiny random Llama models built in memory (seconds), for tests that need no checkpoint. */
public final class TestModels {
    private TestModels() {}

    /** A small config: dim 32, 2 layers, 4 heads / 2 kv heads (GQA), vocab {@code vocab}, context 64. */
    public static LlamaConfig tiny(int vocab) {
        return new LlamaConfig(32, 48, 2, 4, 2, 8, vocab, 64, 1e-5f, 10000f, false, false, 1, 2);
    }

    /** Random weights (normal, std {@code scale}) for {@code c}, in the half-split layout; norms near 1. */
    public static LlamaWeights random(LlamaConfig c, long seed, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new LlamaWeights.Layer(norm(r, c.dim()), gauss(r, c.qDim() * c.dim(), scale),
                    gauss(r, c.kvDim() * c.dim(), scale), gauss(r, c.kvDim() * c.dim(), scale),
                    gauss(r, c.dim() * c.qDim(), scale), norm(r, c.dim()), gauss(r, c.hiddenDim() * c.dim(), scale),
                    gauss(r, c.hiddenDim() * c.dim(), scale), gauss(r, c.dim() * c.hiddenDim(), scale),
                    c.qkvBias() ? gauss(r, c.qDim(), scale) : null, c.qkvBias() ? gauss(r, c.kvDim(), scale) : null,
                    c.qkvBias() ? gauss(r, c.kvDim(), scale) : null));
        }
        return new LlamaWeights(c, RopeLayout.HALF_SPLIT, gauss(r, c.vocabSize() * c.dim(), 1f), layers,
                norm(r, c.dim()), c.tiedEmbeddings() ? null : gauss(r, c.vocabSize() * c.dim(), scale * 4));
    }

    private static float[] gauss(SplittableRandom r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = r.nextDouble();
            double u2 = r.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * scale);
        }
        return a;
    }

    private static float[] norm(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (0.8 + 0.4 * r.nextDouble());
        }
        return a;
    }
}
