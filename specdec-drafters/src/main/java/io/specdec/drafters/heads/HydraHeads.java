package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hydra (Ankner et al. 2024, arXiv:2402.05109; reference zankner/Hydra; ALGORITHMS.md §4): sequentially dependent
 * heads — head k reads {@code concat(h, E(root), E(y_1), …, E(y_k))} through a residual MLP ({@link HeadMath#hydra})
 * and the target's frozen LM head. Tensors: block 0 {@code hydra.k.0.w}, {@code hydra.k.0.r} (the residual
 * projection, starting as {@code [I, 0, …]}) {@code [D, (k+2)D]}, {@code hydra.k.0.b} {@code [D]}; blocks b ≥ 1 as
 * Medusa's (Hydra++: more blocks). Loss as Medusa's with teacher forcing of the embeddings; {@code --teacher-weight 1}
 * is Hydra++'s distillation. Drafts a dynamic tree ({@link HydraDrafter}).
 */
public final class HydraHeads implements HeadArchitecture {
    @Override
    public String id() {
        return "hydra";
    }

    @Override
    public String description() {
        return "Hydra sequentially dependent heads (dynamic tree)";
    }

    @Override
    public int maxDepth(DraftHeads heads) {
        return heads.count();
    }

    @Override
    public int evalDepth(DraftHeads heads) {
        return heads.count();
    }

    @Override
    public Map<String, long[]> layout(LlamaConfig c, int count, int blocks) {
        long d = c.dim();
        Map<String, long[]> m = new LinkedHashMap<>();
        for (int k = 0; k < count; k++) {
            m.put("hydra." + k + ".0.w", new long[] {d, (k + 2) * d});
            m.put("hydra." + k + ".0.r", new long[] {d, (k + 2) * d});
            m.put("hydra." + k + ".0.b", new long[] {d});
            for (int b = 1; b < blocks; b++) {
                m.put("hydra." + k + "." + b + ".w", new long[] {d, d});
                m.put("hydra." + k + "." + b + ".b", new long[] {d});
            }
        }
        return m;
    }

    @Override
    public void init(Map<String, float[]> tensors, LlamaWeights target, int count, int blocks, int initLayer,
            SplittableRandom random) {
        int d = target.config().dim();
        for (int k = 0; k < count; k++) {
            float[] res = tensors.get("hydra." + k + ".0.r");
            int in = (k + 2) * d;
            for (int i = 0; i < d; i++) {
                res[i * in + i] = 1f;
            }
        }
    }

    @Override
    public Map<String, float[]> inflate(DraftHeads heads, LlamaConfig twin, SplittableRandom random) {
        return heads.placeChannels(layout(twin, heads.count(), heads.blocks()), twin.dim(), random);
    }

    @Override
    public HeadTrainer.Loss defaultLoss() {
        return new HeadTrainer.Loss(0.8f, 0f, 0f, 0f, 1);
    }

    @Override
    public Training training(DraftHeads init, LlamaWeights target, NDManager manager) {
        return HeadMath.perDepth(init, manager, (params, b, k) -> {
            int rows = b.length() - k - 1;
            NDList parts = new NDList(b.hidden().get(new NDIndex(":, 0:" + rows)));
            for (int i = 0; i <= k; i++) {
                parts.add(b.embedTargets(i, rows));
            }
            return HeadMath.hydra(params, k, init.blocks(), NDArrays.concat(parts, -1));
        });
    }

    @Override
    public Runtime runtime(CausalLM target, DraftHeads heads, Map<String, NDArray> params) {
        return shape -> new HydraDrafter(target, heads, params, shape);
    }

    /** {@code --drafter hydra}. */
    public static final class Provider extends HeadsProvider {
        public Provider() {
            super(new HydraHeads());
        }
    }
}
