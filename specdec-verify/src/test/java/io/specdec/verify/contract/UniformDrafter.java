package io.specdec.verify.contract;

import io.specdec.sampling.Distributions;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import java.util.Arrays;

/**
 * A test drafter that samples K tokens i.i.d. from a fixed distribution {@code q} over the vocabulary (or, for
 * greedy requests, proposes the argmax of q as a point mass): the simplest drafter with a real {@code q}, used to
 * check acceptance policies independently of any model.
 */
public final class UniformDrafter implements Drafter {
    private final float[] q;

    public UniformDrafter(float[] q) {
        this.q = q.clone();
    }

    @Override
    public void begin(io.specdec.speculation.PromptContext prompt) {}

    @Override
    public DraftTree propose(DraftContext ctx) {
        int k = ctx.budget();
        int[] toks = new int[k];
        float[][] qs = new float[k][];
        for (int i = 0; i < k; i++) {
            toks[i] = ctx.sampling().isGreedy() ? Distributions.argmax(q) : Distributions.sample(q, ctx.rng());
            qs[i] = ctx.sampling().isGreedy() ? null : q;
        }
        return DraftTree.chain(toks, qs);
    }

    @Override
    public int vocabSize() {
        return q.length;
    }

    /** A skewed fixed distribution over {@code v} tokens: q(i) ∝ 1 + (i mod 3). */
    public static float[] skewed(int v) {
        float[] q = new float[v];
        float sum = 0;
        for (int i = 0; i < v; i++) {
            q[i] = 1 + (i % 3);
            sum += q[i];
        }
        for (int i = 0; i < v; i++) {
            q[i] /= sum;
        }
        return Arrays.copyOf(q, v);
    }
}
