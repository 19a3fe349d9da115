package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.train.TrainableLlama;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * EAGLE-style feature drafting (Li et al. 2024, EAGLE arXiv:2401.15077, EAGLE-2 arXiv:2406.16858; reference
 * SafeAILab/EAGLE; ALGORITHMS.md §11): one decoder layer of the target's shape autoregresses on the target's features
 * through {@code fc(concat(E(x_{i+1}), f_i))}. Tensors {@code eagle.fc.w} {@code [D, 2D]}, {@code eagle.fc.b},
 * {@code eagle.final_norm} and the layer {@code eagle.<attn_norm|wq|…>} (copied from a target layer at init; fc maps
 * the feature half to itself). Loss {@code smoothL1(f̂, f) + clsWeight · CE} (teacher CE, α = 1) with uniform
 * input-feature noise. Drafts the dynamic tree level by level in its own KV cache ({@link EagleDrafter}).
 */
public final class EagleHeads implements HeadArchitecture {
    @Override
    public String id() {
        return "eagle";
    }

    @Override
    public String description() {
        return "EAGLE-style feature drafter: one decoder layer on the target's features (EAGLE-2 dynamic tree)";
    }

    @Override
    public int fixedCount() {
        return 1;
    }

    @Override
    public boolean hasBlocks() {
        return false;
    }

    @Override
    public boolean readsContext() {
        return true;
    }

    @Override
    public int maxDepth(DraftHeads heads) {
        return 16;
    }

    @Override
    public Map<String, long[]> layout(LlamaConfig c, int count, int blocks) {
        long d = c.dim();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("eagle.fc.w", new long[] {d, 2 * d});
        m.put("eagle.fc.b", new long[] {d});
        m.put("eagle.final_norm", new long[] {d});
        DraftHeads.putDecoderLayout(m, "eagle.", c);
        return m;
    }

    @Override
    public void init(Map<String, float[]> t, LlamaWeights w, int count, int blocks, int initLayer,
            SplittableRandom r) {
        int d = w.config().dim();
        float[] fc = t.get("eagle.fc.w");
        for (int i = 0; i < d; i++) {
            fc[i * 2 * d + d + i] = 1f;                       // feature half → identity
            fc[i * 2 * d + i] = (float) (r.nextGaussian() * 0.02); // embedding half: small random
        }
        DraftHeads.copyDecoderLayer(t, "eagle.", w, initLayer);
        t.put("eagle.final_norm", w.finalNorm().clone());
    }

    @Override
    public Map<String, float[]> inflate(DraftHeads heads, LlamaConfig twin, SplittableRandom r) {
        int d = heads.target().dim();
        int dd = twin.dim();
        Map<String, float[]> t = heads.inflateDecoder("eagle.", twin, r.nextLong());
        // fc [D, 2D] → [D', 2D']: original block placed at the twin offsets of both halves, zero rows for padded
        // output channels (the residual stream's padded channels stay zero, as in the twin)
        float[] fc = heads.tensor("eagle.fc.w");
        float[] fcT = new float[dd * 2 * dd];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < 2 * dd; j++) {
                int half = j / dd;
                int jj = j % dd;
                fcT[i * 2 * dd + j] = jj < d ? fc[i * 2 * d + half * d + jj] : (float) (r.nextGaussian() * 0.02);
            }
        }
        t.put("eagle.fc.w", fcT);
        float[] fb = new float[dd];
        System.arraycopy(heads.tensor("eagle.fc.b"), 0, fb, 0, d);
        t.put("eagle.fc.b", fb);
        return t;
    }

    @Override
    public HeadTrainer.Loss defaultLoss() {
        return new HeadTrainer.Loss(1f, 1f, 0.1f, 0.1f, 1);
    }

    @Override
    public Training training(DraftHeads init, LlamaWeights target, NDManager manager) {
        TrainableLlama layer = TrainableLlama.of(init.decoderLayer("eagle.", target.embedding(), target.lmHead()));
        try {
            Map<String, NDArray> params = HeadMath.decoderParameters(layer, "eagle.");
            params.putAll(HeadMath.trainable(init, manager, "eagle.fc.w", "eagle.fc.b"));
            return new Training() {
                @Override
                public Map<String, NDArray> parameters() {
                    return params;
                }

                @Override
                public NDArray[] losses(HeadBatch b) {
                    return eagleLosses(b, params, layer);
                }

                @Override
                public void close() {
                    layer.close();
                }
            };
        } catch (RuntimeException e) {
            layer.close();
            throw e;
        }
    }

    private static NDArray[] eagleLosses(HeadBatch b, Map<String, NDArray> params, TrainableLlama layer) {
        NDManager m = b.manager();
        NDArray h = b.hidden();
        int t = b.length();
        NDIndex rows = new NDIndex(":, 0:" + (t - 1));
        NDIndex ahead = new NDIndex(":, 1:" + t);
        NDArray f = HeadMath.noisy(b, h.get(rows));
        NDArray tok = b.embedTargets(0, t - 1);
        NDArray in = HeadMath.eagleInput(params, tok, f);
        TrainableLlama.Output o = layer.forwardEmbeddings(m, in);
        NDArray mk = b.mask().get(ahead);
        NDArray n = mk.sum();
        NDArray diff = o.hidden().sub(h.get(ahead));
        NDArray ad = diff.abs();
        NDArray sl1 = NDArrays.where(ad.lt(1f), diff.square().mul(0.5f), ad.sub(0.5f)).mean(new int[] {-1});
        NDArray reg = sl1.mul(mk).sum();
        NDArray[] cls = b.crossEntropy(o.logits().logSoftmax(-1), ahead);
        NDArray total = reg.div(n.maximum(1f)).add(cls[0].mul(b.loss().clsWeight()));
        return new NDArray[] {total, cls[1], cls[2]};
    }

    @Override
    public Runtime runtime(CausalLM target, DraftHeads heads, Map<String, NDArray> params) {
        return PrefixDecoderDrafter.runtime(target, heads, "eagle.", (layer, shape) -> new EagleDrafter(target, layer, params, shape));
    }

    /** {@code --drafter eagle}. */
    public static final class Provider extends HeadsProvider {
        public Provider() {
            super(new EagleHeads());
        }
    }
}
