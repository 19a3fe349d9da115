package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * tree ({@link DynamicTreeDrafter}) expands each level's frontier in one forward whose mask covers the round's earlier
 * tree rows ({@link AttentionMask#withHistory}), so a node attends to the prefix, its ancestors and itself; the
 * round's rows are dropped from its cache afterwards. One instance per request; not thread-safe.
 */
final class EagleDrafter extends DynamicTreeDrafter {
    private final LlamaModel layer;
    private final Map<String, NDArray> params;
    private KvCache cache;
    private int stable;
    private float[] rootFeature;

    /**
     * @param layer the one-layer decoder ({@link DraftHeads#eagleLayer}), shared by the factory
     * @param params the heads' arrays on the target's device (fc)
     */
    EagleDrafter(CausalLM target, LlamaModel layer, Map<String, NDArray> params, int depth, int topK, int budget) {
        super(target, depth, topK, budget);
        this.layer = layer;
        this.params = params;
    }

    @Override
    int maxDepth() {
        return 16;
    }

    @Override
    void onBegin(PromptContext p) {
        openCache(p.capacity() + 16);
    }

    void openCache(int capacity) {
        if (cache != null) {
            cache.close();
        }
        cache = layer.newCache(Math.min(capacity, layer.config().contextLength()));
        stable = 0;
    }

    /** {@code fc(concat(E(token_r), feature_r))} for every row, {@code [n, D]} on the host. */
    private float[] inputs(int[] toks, float[][] feats) {
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

    /** Feeds the real pairs {@code (f_i, x_{i+1})} for i in {@code [stable, length-1)}; returns the last row. */
    private ForwardResult sync(int[] tokens, int length) {
        if (cache.length() > stable) {
            cache.truncate(stable);
        }
        if (stable > length - 1) { // a shorter sequence than what is cached (a new calibration text)
            cache.truncate(0);
            stable = 0;
        }
        int n = length - 1 - stable;
        if (n <= 0) {
            // the cache is ahead of the features (cannot happen in a request): rebuild the last pair
            cache.truncate(length - 2);
            stable = length - 2;
            n = 1;
        }
        int[] toks = new int[n];
        float[][] feats = new float[n][];
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) {
            toks[i] = tokens[stable + i + 1];
            feats[i] = features.get(stable + i);
            pos[i] = stable + i;
        }
        ForwardResult r = layer.forwardEmbeddings(cache, inputs(toks, feats), pos, null,
                ForwardOptions.LAST_ROW.withLastHidden());
        stable = length - 1;
        return r;
    }

    @Override
    float[] rootLogits(int[] tokens, int length) {
        requireRoom(length);
        try (ForwardResult r = sync(tokens, length)) {
            float[] h = r.lastHidden();
            int d = target.config().dim();
            rootFeature = java.util.Arrays.copyOfRange(h, h.length - d, h.length);
            return r.row(0);
        }
    }

    private void requireRoom(int length) {
        if (length + 16 > cache.capacity()) {
            openCache(Math.min(layer.config().contextLength(), Math.max(2 * cache.capacity(), length + 32)));
        }
    }

    @Override
    float[][] expand(List<Node> frontier, int[] tokens, int length) {
        int n = frontier.size();
        if (cache.length() + n > cache.capacity()) {
            return new float[n][target.config().vocabSize()]; // out of room: flat rows (children still valid)
        }
        int history = cache.length() - stable;
        int[] toks = new int[n];
        float[][] feats = new float[n][];
        int[] pos = new int[n];
        boolean[][] vis = new boolean[n][history + n];
        for (int i = 0; i < n; i++) {
            Node x = frontier.get(i);
            toks[i] = x.token;
            feats[i] = x.parent == null ? rootFeature : x.parent.feature;
            pos[i] = length - 2 + x.depth;
            for (Node a = x.parent; a != null; a = a.parent) {
                if (a.cacheRow >= 0) {
                    vis[i][a.cacheRow] = true;
                }
            }
            vis[i][history + i] = true;
            x.cacheRow = history + i;
        }
        int d = target.config().dim();
        int v = target.config().vocabSize();
        try (ForwardResult r = layer.forwardEmbeddings(cache, inputs(toks, feats), pos,
                AttentionMask.withHistory(history, vis), ForwardOptions.DEFAULT.withLastHidden())) {
            float[] h = r.lastHidden();
            float[] lg = r.logits();
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                frontier.get(i).feature = java.util.Arrays.copyOfRange(h, i * d, (i + 1) * d);
                rows[i] = java.util.Arrays.copyOfRange(lg, i * v, (i + 1) * v);
            }
            return rows;
        }
    }

    /** EAGLE: the feature the node's distribution came from (its parent's predicted feature, or the root's). */
    @Override
    float[] stepFeature(Node parent) {
        return parent == null ? rootFeature : parent.feature;
    }

    @Override
    void finish(int length) {
        if (cache.length() > stable) {
            cache.truncate(stable);
        }
    }

    @Override
    float[][] pathLogits(int[] tokens, int length, int[] path) {
        float[][] out = new float[path.length][];
        out[0] = rootLogits(tokens, length);
        try {
            Node parent = null;
            for (int i = 1; i < path.length; i++) {
                Node x = new Node(path[i - 1], parent, i, 0);
                out[i] = expand(List.of(x), tokens, length)[0];
                parent = x;
            }
        } finally {
            finish(length);
        }
        return out;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
