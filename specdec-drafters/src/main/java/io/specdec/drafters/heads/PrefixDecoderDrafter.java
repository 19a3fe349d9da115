package io.specdec.drafters.heads;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.PromptContext;

/**
 * A dynamic-tree head drafter with a decoder over the prefix in its own KV cache (EAGLE's layer, Clover's augmenting
 * block): each round it feeds the verified pairs {@code (f_i, x_{i+1})} it has not seen, fused into one input row each
 * by the family ({@link #inputs}), in one causal forward ({@link #sync}); rows a round adds beyond the prefix (EAGLE's
 * tree levels) are dropped afterwards. One instance per request; not thread-safe.
 *
 * @param <S> what the drafter keeps per node
 */
abstract class PrefixDecoderDrafter<S> extends DynamicTreeDrafter<S> {
    /** The one-layer decoder ({@link DraftHeads#decoderLayer}), shared by the factory. */
    protected final LlamaModel layer;
    /** The request's cache of the decoder. */
    protected KvCache cache;
    /** Prefix rows in {@link #cache} (pairs whose feature is the target's own). */
    protected int stable;
    /**
     * Rows of the sequence in {@link #cache} after the last {@link #sync}: {@link #stable}, plus the rows a lookahead
     * fed with the drafter's own predicted features ({@link #featureAt}); the round's tree rows follow them.
     */
    protected int prefixRows;

    /** Makes a drafter of a decoder family from the shared layer and a shape. */
    interface Maker {
        HeadDrafter make(LlamaModel layer, HeadArchitecture.HeadTree shape);
    }

    /**
     * The runtime of a decoder family: the layer {@code prefix.<…>} built on the target's embedding and LM head
     * (on the host, then placed by the model), shared by the request drafters {@code maker} makes; closes it.
     */
    static HeadArchitecture.Runtime runtime(CausalLM target, DraftHeads heads, String prefix, Maker maker) {
        LlamaModel layer = new LlamaModel(heads.decoderLayer(prefix, HeadsProvider.hostEmbedding(target),
                HeadsProvider.hostLmHead(target)));
        return new HeadArchitecture.Runtime() {
            @Override
            public HeadDrafter drafter(HeadArchitecture.HeadTree shape) {
                return maker.make(layer, shape);
            }

            @Override
            public long extraBytes() {
                return KvCache.bytes(layer.config(), layer.config().contextLength());
            }

            @Override
            public void close() {
                layer.close();
            }
        };
    }

    PrefixDecoderDrafter(CausalLM target, LlamaModel layer, HeadArchitecture.HeadTree shape) {
        super(target, shape);
        this.layer = layer;
    }

    /** The decoder's input rows for the pairs {@code (feats[r], toks[r])}: {@code [n, D]} on the host. */
    protected abstract float[] inputs(int[] toks, float[][] feats);

    @Override
    protected void onBegin(PromptContext p) {
        openCache(p.capacity() + 16);
    }

    @Override
    protected void reset(int capacity) {
        openCache(capacity + 32);
    }

    void openCache(int capacity) {
        if (cache != null) {
            cache.close();
        }
        cache = layer.newCache(Math.min(capacity, layer.config().contextLength()));
        stable = 0;
        prefixRows = 0;
    }

    /**
     * The feature of position i: the target's own where it has been verified ({@code i < features.size()}), else what
     * {@link #provisionalFeature} gives (a lookahead's), else an error.
     */
    protected float[] featureAt(int i) {
        if (i < features.size()) {
            return features.get(i);
        }
        float[] f = provisionalFeature(i);
        if (f == null) {
            throw new IllegalStateException("no feature for position " + i + " (the target has given "
                    + features.size() + ")");
        }
        return f;
    }

    /** The drafter's own predicted feature of a position the target has not verified yet; null (default): none. */
    protected float[] provisionalFeature(int i) {
        return null;
    }

    /**
     * Feeds the pairs {@code (f_i, x_{i+1})} for i in {@code [stable, length-1)} — the target's features, and past
     * them (a lookahead) the drafter's predicted ones, whose rows stay beyond {@link #stable} and are dropped at the
     * end of the round; returns the last row.
     */
    protected ForwardResult sync(int[] tokens, int length) {
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
            feats[i] = featureAt(stable + i);
            pos[i] = stable + i;
        }
        ForwardResult r = layer.forwardEmbeddings(cache, inputs(toks, feats), pos, null,
                ForwardOptions.LAST_ROW.withLastHidden());
        prefixRows = length - 1;
        stable = Math.min(length - 1, features.size());
        return r;
    }

    protected void requireRoom(int length) {
        if (length + 16 > cache.capacity()) {
            openCache(Math.min(layer.config().contextLength(), Math.max(2 * cache.capacity(), length + 32)));
        }
    }

    @Override
    protected void finish(int length) {
        if (cache.length() > stable) {
            cache.truncate(stable);
        }
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
