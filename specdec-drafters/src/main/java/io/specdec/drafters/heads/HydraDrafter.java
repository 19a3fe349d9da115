package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.specdec.drafters.DynamicTree;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.CausalLM;
import java.util.List;
import java.util.Map;

/**
 * Hydra heads (Ankner et al. 2024, arXiv:2402.05109; reference zankner/Hydra; ALGORITHMS.md §4): sequentially
 * dependent heads — head k reads the target's last hidden state and the embeddings of the root and the k tokens
 * drafted before it on the branch, {@code concat(h, E(root), E(y_1), …, E(y_k))}, through a residual MLP
 * ({@link HeadMath#hydra}) and the target's frozen LM head. The tree grows by the EAGLE-2 dynamic expansion under the
 * sized budget ({@link DynamicTree}). One instance per request; not thread-safe.
 */
final class HydraDrafter extends DynamicTreeDrafter<Void> {
    private final DraftHeads heads;
    private final Map<String, NDArray> params;

    HydraDrafter(CausalLM target, DraftHeads heads, Map<String, NDArray> params, HeadArchitecture.HeadTree shape) {
        super(target, shape);
        this.heads = heads;
        this.params = params;
    }

    @Override
    protected int maxDepth() {
        return heads.count();
    }

    /** Head {@code k}'s logits for rows {@code [h, E(root), E(path_1..path_k)]}, one per path (each of length k). */
    private float[][] head(int k, float[] h, int root, int[][] paths) {
        int v = target.config().vocabSize();
        int n = paths.length;
        int[] ids = new int[n * (k + 1)];
        for (int i = 0; i < n; i++) {
            ids[i * (k + 1)] = root;
            System.arraycopy(paths[i], 0, ids, i * (k + 1) + 1, k);
        }
        try (NDManager m = SpecdecEngine.newManager()) {
            long d = h.length;
            NDArray e = target.embed(m, ids).reshape(n, (k + 1) * d);
            NDArray hs = m.create(h).reshape(1, d).repeat(0, n);
            NDArray x = HeadMath.hydra(params, k, heads.blocks(), NDArrays.concat(new NDList(hs, e), -1));
            float[] all = target.lmHead(x).toFloatArray();
            float[][] rows = new float[n][v];
            for (int i = 0; i < n; i++) {
                System.arraycopy(all, i * v, rows[i], 0, v);
            }
            return rows;
        }
    }

    @Override
    protected float[] rootLogits(int[] tokens, int length) {
        return head(0, features.get(length - 2), tokens[length - 1], new int[][] {new int[0]})[0];
    }

    @Override
    protected float[][] expand(List<DynamicTree.Node<Void>> frontier, int[] tokens, int length) {
        int k = frontier.get(0).depth();
        int[][] paths = new int[frontier.size()][];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = frontier.get(i).path();
        }
        return head(k, features.get(length - 2), tokens[length - 1], paths);
    }
}
