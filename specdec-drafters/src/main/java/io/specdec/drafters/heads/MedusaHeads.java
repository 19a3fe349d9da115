package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Medusa-1 (Cai et al. 2024, arXiv:2401.10774; reference FasterDecoding/Medusa; ALGORITHMS.md §3): independent
 * residual heads on the target's last hidden state, head k predicting the token k+1 places after the root through
 * the target's frozen LM head, {@code W_lm · (h + SiLU(W_k h + b_k))} per block. Tensors {@code medusa.k.b.w}
 * {@code [D, D]}, {@code medusa.k.b.b} {@code [D]}; blocks start at zero (each head starts as the LM head on h).
 * Loss {@code Σ_k λ^k CE_k} (λ = 0.8). Drafts a static tree of rank paths ({@link MedusaDrafter}).
 */
public final class MedusaHeads implements HeadArchitecture {
    @Override
    public String id() {
        return "medusa";
    }

    @Override
    public String description() {
        return "Medusa-1 heads on the target's last hidden state (sized tree of choices)";
    }

    @Override
    public boolean dynamicTree() {
        return false;
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
            for (int b = 0; b < blocks; b++) {
                m.put("medusa." + k + "." + b + ".w", new long[] {d, d});
                m.put("medusa." + k + "." + b + ".b", new long[] {d});
            }
        }
        return m;
    }

    @Override
    public void init(Map<String, float[]> tensors, LlamaWeights target, int count, int blocks, int initLayer,
            SplittableRandom random) {
        // zero blocks: every head starts as the LM head on the hidden state
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
        return HeadMath.perDepth(init, manager, (params, b, k) -> HeadMath.medusa(params, k, init.blocks(),
                b.hidden().get(new NDIndex(":, 0:" + (b.length() - k - 1)))));
    }

    @Override
    public Runtime runtime(CausalLM target, DraftHeads heads, Map<String, NDArray> params) {
        return shape -> new MedusaDrafter(target, heads, params, shape.choices());
    }

    /** {@code --drafter medusa}. */
    public static final class Provider extends HeadsProvider {
        public Provider() {
            super(new MedusaHeads());
        }
    }
}
