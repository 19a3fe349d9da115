package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.specdec.drafters.DynamicTree;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardResult;
import io.specdec.model.LlamaModel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Clover drafting ({@link CloverHeads}): per round, the verified pairs {@code (f_i, x_{i+1})} it has not seen are
 * fused ({@code clover.in}) and fed through the augmenting block in its KV cache, whose last row is the state
 * {@code s_0} of the root; the dynamic tree ({@link DynamicTree}) then expands each level in one batched call of the
 * attention decoder ({@code s = rnn(s_parent, E(token))}) and the head, with no cache rows for the tree (each node
 * keeps its state). One instance per request; not thread-safe.
 */
final class CloverDrafter extends PrefixDecoderDrafter<float[]> {
    private final Map<String, NDArray> params;
    private final int maxDepth;
    private final int heads;
    private final float eps;
    private float[] rootState;

    CloverDrafter(CausalLM target, LlamaModel layer, Map<String, NDArray> params, DraftHeads h,
            HeadArchitecture.HeadTree shape) {
        super(target, layer, shape);
        this.params = params;
        this.maxDepth = h.count();
        this.heads = CloverHeads.fusionHeads(h.target());
        this.eps = h.target().rmsEps();
    }

    @Override
    protected int maxDepth() {
        return maxDepth;
    }

    @Override
    protected float[] inputs(int[] toks, float[][] feats) {
        try (NDManager m = SpecdecEngine.newManager()) {
            return CloverHeads.fusion(params, "clover.in.", rows(m, feats), target.embed(m, toks), heads, eps)
                    .toFloatArray();
        }
    }

    private NDArray rows(NDManager m, float[][] v) {
        int d = target.config().dim();
        float[] f = new float[v.length * d];
        for (int i = 0; i < v.length; i++) {
            System.arraycopy(v[i], 0, f, i * d, d);
        }
        return m.create(f, new Shape(v.length, d));
    }

    @Override
    protected float[] rootLogits(int[] tokens, int length) {
        requireRoom(length);
        try (ForwardResult r = sync(tokens, length); NDManager m = SpecdecEngine.newManager()) {
            float[] h = r.lastHidden();
            int d = target.config().dim();
            rootState = Arrays.copyOfRange(h, h.length - d, h.length);
            return target.lmHead(CloverHeads.firstHead(params, m.create(rootState).reshape(1, d), eps))
                    .toFloatArray();
        }
    }

    @Override
    protected float[][] expand(List<DynamicTree.Node<float[]>> frontier, int[] tokens, int length) {
        int n = frontier.size();
        int d = target.config().dim();
        int v = target.config().vocabSize();
        float[][] prev = new float[n][];
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) {
            DynamicTree.Node<float[]> x = frontier.get(i);
            prev[i] = x.parent() == null ? rootState : x.parent().state;
            toks[i] = x.token();
        }
        try (NDManager m = SpecdecEngine.newManager()) {
            NDArray e = target.embed(m, toks);
            NDArray s = CloverHeads.fusion(params, "clover.rnn.", rows(m, prev), e, heads, eps);
            float[] states = s.toFloatArray();
            float[] lg = target.lmHead(CloverHeads.laterHead(params, s, e, eps)).toFloatArray();
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                frontier.get(i).state = Arrays.copyOfRange(states, i * d, (i + 1) * d);
                out[i] = Arrays.copyOfRange(lg, i * v, (i + 1) * v);
            }
            return out;
        }
    }

    /** The state whose head gave the node's distribution (its parent's, or the root's augmented state). */
    @Override
    protected float[] stepFeature(DynamicTree.Node<float[]> parent) {
        return parent == null ? rootState : parent.state;
    }
}
