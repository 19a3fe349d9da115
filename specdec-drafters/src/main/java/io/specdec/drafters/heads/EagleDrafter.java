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
    /**
     * The layer's predicted feature of each position it drafted through in a chain-shaped round, and the token at
     * that position: what a lookahead (LLMCad's pipeline) feeds in place of the target's features it does not have
     * yet. Indexed by position; overwritten round by round.
     */
    private float[][] predicted = new float[64][];
    private int[] predictedToken = new int[64];
    /** True only while {@link #draftAhead} drafts: the only time predicted features stand in for the target's. */
    private boolean ahead;

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
            remember(length - 1, tokens[length - 1], rootFeature);
            return r.row(0);
        }
    }

    /**
     * True: a lookahead drafts from the layer's own predicted features where the target's are not in yet
     * ({@link #draftAhead}); everything else is re-derived from the sequence and the features, and the decoder calls
     * {@link #observe} only after the lookahead has finished.
     */
    @Override
    public boolean supportsLookahead() {
        return true;
    }

    /**
     * LLMCad's lookahead: the sequence runs past the target's features by the chain just proposed; its positions'
     * features are the ones this drafter predicted while drafting that chain (checked token by token), fed as
     * provisional rows that the round drops again. Null when they are not all there (a tree-shaped round, another
     * sequence).
     */
    @Override
    protected io.specdec.speculation.DraftTree draftAhead(io.specdec.speculation.DraftContext ctx) {
        int[] t = ctx.tokens();
        for (int p = features.size(); p < ctx.length() - 1; p++) {
            if (p >= predicted.length || predicted[p] == null || predictedToken[p] != t[p]) {
                return null;
            }
        }
        ahead = true;
        try {
            return draft(ctx);
        } finally {
            ahead = false;
        }
    }

    @Override
    protected float[] provisionalFeature(int i) {
        return ahead && i < predicted.length ? predicted[i] : null;
    }

    private void remember(int position, int token, float[] feature) {
        if (position >= predicted.length) {
            int n = Math.max(position + 1, predicted.length * 2);
            predicted = java.util.Arrays.copyOf(predicted, n);
            predictedToken = java.util.Arrays.copyOf(predictedToken, n);
        }
        predicted[position] = feature;
        predictedToken[position] = token;
    }

    private void forget(int position) {
        if (position < predicted.length) {
            predicted[position] = null;
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
        int history = cache.length() - prefixRows;
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
                DynamicTree.Node<Row> x = frontier.get(i);
                x.state.feature = java.util.Arrays.copyOfRange(h, i * d, (i + 1) * d);
                rows[i] = java.util.Arrays.copyOfRange(lg, i * v, (i + 1) * v);
                // a chain's predicted features serve a lookahead; a level with several nodes has no single one
                if (n == 1) {
                    remember(length - 1 + x.depth(), x.token(), x.state.feature);
                } else {
                    forget(length - 1 + x.depth());
                }
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
