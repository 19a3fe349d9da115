package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.specdec.drafters.DynamicTree;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.AttentionMask;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.PromptContext;
import java.util.List;
import java.util.Map;

/**
 * EAGLE-style feature drafting (Li et al. 2024, EAGLE arXiv:2401.15077 and EAGLE-2 arXiv:2406.16858; reference
 * SafeAILab/EAGLE {@code cnets1.py}; ALGORITHMS.md §11). One decoder layer of the target's width autoregresses on the
 * target's features: at position i it reads {@code fc(concat(E(x_{i+1}), f_i))} and predicts {@code f̂_{i+1}}, whose
 * tokens come from the target's frozen LM head. The features {@code f} are the LM head's input (the final-norm
 * output), as in the reference, whose base model returns the normed last hidden state.
 *
 * <p>The layer runs on the library's own decoder ({@link LlamaModel#forwardEmbeddings}: both kernels, its KV
 * cache, tree masks) as a one-layer Llama whose final norm is trained and whose LM head is the target's. Two choices
 * differ from the reference and are stated here: the layer keeps its input RMSNorm (the reference skips it in its
 * first layer), and a trained final norm maps the layer's output into the target's feature space (the reference
 * feeds the raw output to the LM head).
 *
 * <p>Per round: the verified prefix's pairs it has not seen ({@code f_i} real, from the target) are fed in one
 * causal forward — its last row gives the root's predicted feature and the depth-1 distribution; then the dynamic
 * tree ({@link DynamicTree}) expands each level's frontier in one forward whose mask covers the round's earlier
 * tree rows ({@link AttentionMask#withHistory}), so a node attends to the prefix, its ancestors and itself; the
 * round's rows are dropped from its cache afterwards. One instance per request; not thread-safe.
 */
final class EagleDrafter extends PrefixDecoderDrafter<EagleDrafter.Row> {
    private final Map<String, NDArray> params;
    private float[] rootFeature;

    /** What a drafted node keeps: the feature its own forward predicted and its row among the round's cache rows. */
    static final class Row {
        float[] feature;
        int cacheRow = -1;
    }

    /**
     * @param layer the one-layer decoder ({@link DraftHeads#decoderLayer}), shared by the factory
     * @param params the heads' arrays on the target's device (fc)
     */
    EagleDrafter(CausalLM target, LlamaModel layer, Map<String, NDArray> params, HeadArchitecture.HeadTree shape) {
        super(target, layer, shape);
        this.params = params;
    }

    @Override
    protected int maxDepth() {
        return 16;
    }

    @Override
    /** {@code fc(concat(E(token_r), feature_r))} for every row, {@code [n, D]} on the host. */
    protected float[] inputs(int[] toks, float[][] feats) {
        int d = target.config().dim();
        float[] f = new float[feats.length * d];
        for (int i = 0; i < feats.length; i++) {
            System.arraycopy(feats[i], 0, f, i * d, d);
        }
        try (NDManager m = SpecdecEngine.newManager()) {
            NDArray e = target.embed(m, toks);
            NDArray x = HeadMath.eagleInput(params, e, m.create(f, new Shape(feats.length, d)));
            return x.toFloatArray();
        }
    }

    @Override
    protected float[] rootLogits(int[] tokens, int length) {
        requireRoom(length);
        try (ForwardResult r = sync(tokens, length)) {
            float[] h = r.lastHidden();
            int d = target.config().dim();
            rootFeature = java.util.Arrays.copyOfRange(h, h.length - d, h.length);
            return r.row(0);
        }
    }

    @Override
    protected float[][] expand(List<DynamicTree.Node<Row>> frontier, int[] tokens, int length) {
        int n = frontier.size();
        if (cache.length() + n > cache.capacity()) {
            float[][] none = new float[n][target.config().vocabSize()]; // out of room: no children
            for (float[] row : none) {
                java.util.Arrays.fill(row, Float.NEGATIVE_INFINITY);
            }
            return none;
        }
        int history = cache.length() - stable;
        int[] toks = new int[n];
        float[][] feats = new float[n][];
        int[] pos = new int[n];
        boolean[][] vis = new boolean[n][history + n];
        for (int i = 0; i < n; i++) {
            DynamicTree.Node<Row> x = frontier.get(i);
            toks[i] = x.token();
            feats[i] = x.parent() == null ? rootFeature : x.parent().state.feature;
            pos[i] = length - 2 + x.depth();
            for (DynamicTree.Node<Row> a = x.parent(); a != null; a = a.parent()) {
                if (a.state != null && a.state.cacheRow >= 0) {
                    vis[i][a.state.cacheRow] = true;
                }
            }
            vis[i][history + i] = true;
            x.state = new Row();
            x.state.cacheRow = history + i;
        }
        int d = target.config().dim();
        int v = target.config().vocabSize();
        try (ForwardResult r = layer.forwardEmbeddings(cache, inputs(toks, feats), pos,
                AttentionMask.withHistory(history, vis), ForwardOptions.DEFAULT.withLastHidden())) {
            float[] h = r.lastHidden();
            float[] lg = r.logits();
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                frontier.get(i).state.feature = java.util.Arrays.copyOfRange(h, i * d, (i + 1) * d);
                rows[i] = java.util.Arrays.copyOfRange(lg, i * v, (i + 1) * v);
            }
            return rows;
        }
    }

    /** EAGLE: the feature the node's distribution came from (its parent's predicted feature, or the root's). */
    @Override
    protected float[] stepFeature(DynamicTree.Node<Row> parent) {
        return parent == null ? rootFeature : parent.state.feature;
    }
}
