package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.specdec.engine.SpecdecEngine;
import io.specdec.sampling.TopK;
import io.specdec.model.CausalLM;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import java.util.List;
import java.util.Map;

/**
 * Medusa-1 (Cai et al. 2024, arXiv:2401.10774; reference FasterDecoding/Medusa; ALGORITHMS.md §3): H heads on the
 * target's last hidden state, head k predicting the token k+1 places after the root through the target's frozen LM
 * head, {@code W_lm · (h + SiLU(W_k h + b_k))}. One call computes every head's logits; candidates are the Cartesian
 * product of each head's ranked tokens pruned to a tree of "choices" (rank paths), here the plan that
 * {@link HeadSizing} sized from the machine's cost curve and the heads' measured per-rank acceptance (or the
 * user's). All candidates are point masses. One instance per request; not thread-safe.
 */
final class MedusaDrafter extends HeadDrafter {
    private final DraftHeads heads;
    private final Map<String, NDArray> params;
    private final List<int[]> choices;
    private final int ranks;

    /**
     * @param params the heads on the target's device (shared, read-only)
     * @param choices rank paths, parents before children (depth ≤ heads)
     */
    MedusaDrafter(CausalLM target, DraftHeads heads, Map<String, NDArray> params, List<int[]> choices) {
        super(target);
        this.heads = heads;
        this.params = params;
        this.choices = choices;
        int r = 1;
        for (int[] c : choices) {
            for (int x : c) {
                r = Math.max(r, x + 1);
            }
        }
        this.ranks = r;
    }

    @Override
    protected int maxDepth() {
        return heads.count();
    }

    /** Every head's logits for hidden state {@code h}: {@code [count][vocab]}. */
    float[][] headLogits(float[] h) {
        int v = target.config().vocabSize();
        try (NDManager m = SpecdecEngine.newManager()) {
            NDArray x = m.create(h).reshape(1, h.length);
            NDList outs = new NDList();
            for (int k = 0; k < heads.count(); k++) {
                outs.add(HeadMath.medusa(params, k, heads.blocks(), x));
            }
            float[] all = target.lmHead(NDArrays.concat(outs, 0)).toFloatArray();
            float[][] rows = new float[heads.count()][v];
            for (int k = 0; k < rows.length; k++) {
                System.arraycopy(all, k * v, rows[k], 0, v);
            }
            return rows;
        }
    }

    @Override
    protected DraftTree draft(DraftContext ctx) {
        float[] f = features.get(features.size() - 1);
        float[][] logits = headLogits(f);
        int[][] top = new int[logits.length][];
        float[][] probs = new float[logits.length][];
        for (int k = 0; k < logits.length; k++) {
            top[k] = TopK.indices(logits[k], ranks);
            probs[k] = io.specdec.sampling.Distributions.softmax(logits[k]);
        }
        DraftSignals[] shapes = new DraftSignals[logits.length];
        for (int k = 0; k < logits.length; k++) {
            shapes[k] = DraftSignals.of(probs[k], top[k].length == 0 ? 0 : top[k][0], f);
        }
        int budget = Math.min(ctx.budget(), choices.size());
        int[] tokens = new int[budget];
        int[] parents = new int[budget];
        DraftSignals[] sg = new DraftSignals[budget];
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        int n = 0;
        for (int[] path : choices) {
            if (n == budget) {
                break;
            }
            if (path.length > logits.length) {
                continue;
            }
            String key = java.util.Arrays.toString(path);
            int parent = path.length == 1 ? -1
                    : index.getOrDefault(java.util.Arrays.toString(java.util.Arrays.copyOf(path, path.length - 1)), -2);
            if (parent == -2) {
                continue; // a choice whose prefix is not in the tree (a hand-written list may have one)
            }
            int h = path.length - 1;
            tokens[n] = top[h][path[h]];
            parents[n] = parent;
            sg[n] = new DraftSignals(probs[h][tokens[n]], shapes[h].topProbability(), shapes[h].margin(),
                    shapes[h].entropy(), f);
            index.put(key, n);
            n++;
        }
        return new DraftTree(java.util.Arrays.copyOf(tokens, n), java.util.Arrays.copyOf(parents, n), new float[n][],
                java.util.Arrays.copyOf(sg, n));
    }

    @Override
    protected float[][] pathLogits(int[] tokens, int length, int[] path) {
        float[][] all = headLogits(features.get(length - 2));
        return java.util.Arrays.copyOf(all, Math.min(all.length, path.length));
    }
}
