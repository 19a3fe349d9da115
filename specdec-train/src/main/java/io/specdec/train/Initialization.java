package io.specdec.train;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Initial weights for training a Llama from scratch, GPT-2 style (Radford et al. 2019; as in llama2.c's
 * {@code model.py}): every matrix normal(0, 0.02), the residual output projections ({@code wo}, {@code w_down})
 * normal(0, 0.02 / sqrt(2 · layers)), norm weights 1, biases 0. Deterministic for a seed. Stateless.
 */
public final class Initialization {
    private Initialization() {}

    /** Fresh weights for {@code c}. */
    public static LlamaWeights gpt2(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float std = 0.02f;
        float res = (float) (0.02 / Math.sqrt(2.0 * c.layers()));
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new LlamaWeights.Layer(ones(c.dim()), normal(r, (long) c.qDim() * c.dim(), std),
                    normal(r, (long) c.kvDim() * c.dim(), std), normal(r, (long) c.kvDim() * c.dim(), std),
                    normal(r, (long) c.dim() * c.qDim(), res), ones(c.dim()),
                    normal(r, (long) c.hiddenDim() * c.dim(), std), normal(r, (long) c.hiddenDim() * c.dim(), std),
                    normal(r, (long) c.dim() * c.hiddenDim(), res), c.qkvBias() ? new float[c.qDim()] : null,
                    c.qkvBias() ? new float[c.kvDim()] : null, c.qkvBias() ? new float[c.kvDim()] : null));
        }
        return new LlamaWeights(c, RopeLayout.HALF_SPLIT, normal(r, (long) c.vocabSize() * c.dim(), std), layers,
                ones(c.dim()), c.tiedEmbeddings() ? null : normal(r, (long) c.vocabSize() * c.dim(), std));
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] normal(SplittableRandom r, long n, float std) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            double u1 = r.nextDouble();
            double u2 = r.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * std);
        }
        return a;
    }
}
