package io.specdec.drafters.s2d;

import io.specdec.drafters.CachedSequence;
import io.specdec.drafters.ChainDraft;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.Distributions;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.PromptContext;
import io.specdec.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * S2D's per-step exit (Kavehzadeh et al. 2024, "S2D: Sorted Speculative Decoding"; ALGORITHMS.md §9): a chain
 * drafted by a nested draft whose layer prefixes are drafts themselves ({@code train-draft --exits}), each token by the
 * <em>shallowest</em> exit whose top probability reaches {@code confidence} (else by the deepest exit given). The draft
 * runs as segments between consecutive exits, each with its own KV cache; a token drafted at a shallow exit leaves the
 * deeper segments behind, and its residual stream after the exit is kept; the first later token that needs a deeper
 * exit feeds every pending row through the deeper segments in one forward first. So each deep segment's cache is
 * exactly what the whole draft computes, only later — the exits' distributions are those of the nested draft's prefixes,
 * whichever way the tokens were drafted. Greedy requests draft the argmax; sampled requests draw from the chosen exit's
 * processed distribution (the choice reads only the context, never the drawn token, so the verifier's rule stays exact).
 * The caches follow the sequence by longest common prefix, as the draft-model drafter's does.
 *
 * <p>One instance per request ({@link #factory}); not thread-safe. The factory's segment models are shared and owned by
 * the caller ({@link Segments#close}).
 */
public final class NestedExitDrafter implements Drafter {
    private final Segments segs;
    private final float confidence;
    private final Tokenizer tokenizer;
    private KvCache[] caches;
    private final CachedSequence seen = new CachedSequence();
    /** {@code out[i][p]}: segment i's residual stream at position p, kept until segment i + 1 has read it. */
    private float[][][] out;
    private long[] exitCounts;

    private NestedExitDrafter(Segments segs, float confidence, Tokenizer tokenizer) {
        this.segs = segs;
        this.confidence = confidence;
        this.tokenizer = tokenizer;
        this.exitCounts = new long[segs.models.size()];
    }

    /**
     * The draft split at its exits: segment i runs layers {@code [exits[i-1], exits[i])} (segment 0 from the
     * embedding), each a model of its own sharing the draft's arrays (its final norm and LM head give exit i's
     * logits). Owns the segment models; close it when the drafters are done.
     */
    public static final class Segments implements AutoCloseable {
        private final List<LlamaModel> models = new ArrayList<>();
        private final int[] exits;
        private final java.util.concurrent.atomic.AtomicLongArray usage;

        /**
         * @param nested the nested draft's weights
         * @param exits layer counts after which a token may be drafted, increasing, each in 1..layers
         */
        public Segments(LlamaWeights nested, int[] exits) {
            int layers = nested.config().layers();
            if (exits.length == 0) {
                throw new IllegalArgumentException("a nested draft needs at least one exit");
            }
            for (int i = 0; i < exits.length; i++) {
                if (exits[i] < 1 || exits[i] > layers || (i > 0 && exits[i] <= exits[i - 1])) {
                    throw new IllegalArgumentException("exits must increase within 1.." + layers + ", found "
                            + Arrays.toString(exits));
                }
            }
            this.exits = exits.clone();
            this.usage = new java.util.concurrent.atomic.AtomicLongArray(exits.length);
            try {
                int from = 0;
                for (int e : exits) {
                    models.add(new LlamaModel(new LlamaWeights(nested.config().withLayers(e - from), nested.layout(),
                            nested.embedding(), nested.layers().subList(from, e), nested.finalNorm(),
                            nested.output())));
                    from = e;
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** The exits (layer counts), increasing. */
        public int[] exits() {
            return exits.clone();
        }

        /** Tokens drafted by each exit so far, over every drafter of these segments (index as {@link #exits()}). */
        public long[] usage() {
            long[] u = new long[usage.length()];
            for (int i = 0; i < u.length; i++) {
                u[i] = usage.get(i);
            }
            return u;
        }

        /** The first segment's config (vocabulary, context length). */
        LlamaModel first() {
            return models.get(0);
        }

        @Override
        public void close() {
            models.forEach(LlamaModel::close);
        }
    }

    /**
     * Drafters over {@code segments}.
     *
     * @param confidence a token is drafted by the shallowest exit whose top probability is at least this (0: always
     *     the first exit; above 1: always the last)
     * @param tokenizer the draft's token table (checked against the target's), or null
     */
    public static DrafterFactory factory(Segments segments, float confidence, Tokenizer tokenizer) {
        if (!(confidence >= 0)) {
            throw new IllegalArgumentException("exit confidence must be >= 0, found " + confidence);
        }
        return () -> new NestedExitDrafter(segments, confidence, tokenizer);
    }

    /** How many tokens each exit drafted (index = exit position in {@link Segments#exits()}), for reports. */
    public long[] exitCounts() {
        return exitCounts.clone();
    }

    @Override
    public void begin(PromptContext p) {
        int ctx = segs.first().config().contextLength();
        if (ctx < p.capacity()) {
            throw new IllegalArgumentException("nested draft context " + ctx + " is shorter than this request's "
                    + p.capacity() + " positions: load it with DraftModelDrafter.forContext");
        }
        int n = segs.models.size();
        caches = new KvCache[n];
        out = new float[n][p.capacity()][];
        for (int i = 0; i < n; i++) {
            caches[i] = segs.models.get(i).newCache(p.capacity());
        }
    }

    @Override
    public int vocabSize() {
        return segs.first().config().vocabSize();
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** True: the caches follow the sequence by longest common prefix; nothing comes from observe. */
    @Override
    public boolean supportsLookahead() {
        return true;
    }

    /** One exit's view of the last fed position: its logits and final-norm hidden state. */
    private record Exit(float[] logits, float[] hidden) {}

    /** Feeds tokens[from, to) through segment 0 (keeping the residuals); returns exit 0 at the last position. */
    private Exit feedFirst(int[] tokens, int from, int to) {
        ForwardOptions o = ForwardOptions.LAST_ROW.withLastHidden();
        if (segs.models.size() > 1) {
            o = o.withHiddenLayers(segs.exits[0]);
        }
        try (ForwardResult r = segs.models.get(0).forward(caches[0], Arrays.copyOfRange(tokens, from, to), o)) {
            keep(0, r, from, to);
            return new Exit(r.row(0), lastRow(r.lastHidden(), segs.first().config().dim()));
        }
    }

    /** Brings segment {@code level} up to position {@code to} from the rows segment level − 1 left; its exit there. */
    private Exit feed(int level, int to) {
        int from = caches[level].length();
        int dim = segs.first().config().dim();
        float[] in = new float[(to - from) * dim];
        int[] pos = new int[to - from];
        for (int p = from; p < to; p++) {
            System.arraycopy(out[level - 1][p], 0, in, (p - from) * dim, dim);
            out[level - 1][p] = null;
            pos[p - from] = p;
        }
        int layers = segs.exits[level] - segs.exits[level - 1];
        ForwardOptions o = ForwardOptions.LAST_ROW.withLastHidden();
        if (level + 1 < segs.models.size()) {
            o = o.withHiddenLayers(layers);
        }
        try (ForwardResult r = segs.models.get(level).forwardEmbeddings(caches[level], in, pos, null, o)) {
            if (level + 1 < segs.models.size()) {
                keep(level, r, from, to);
            }
            return new Exit(r.row(0), lastRow(r.lastHidden(), dim));
        }
    }

    private void keep(int level, ForwardResult r, int from, int to) {
        if (level + 1 >= segs.models.size()) {
            return;
        }
        int dim = segs.first().config().dim();
        float[] h = r.layerHidden(0);
        for (int p = from; p < to; p++) {
            out[level][p] = Arrays.copyOfRange(h, (p - from) * dim, (p - from + 1) * dim);
        }
    }

    /**
     * The exit that drafts at the last fed position ({@code length} positions fed to segment 0): the shallowest whose
     * top probability reaches the confidence, feeding deeper segments only as far as needed.
     */
    private Exit choose(Exit first, int length) {
        Exit e = first;
        int level = 0;
        while (level + 1 < segs.models.size() && top(e.logits) < confidence) {
            level++;
            e = feed(level, length);
        }
        exitCounts[level]++;
        segs.usage.incrementAndGet(level);
        return e;
    }

    @Override
    public DraftTree propose(DraftContext ctx) {
        int length = ctx.length();
        if (length + ctx.budget() + 1 > caches[0].capacity()) {
            return DraftTree.empty();
        }
        int lcp = seen.sync(caches[0], ctx.tokens(), length);
        for (int i = 1; i < caches.length; i++) {
            caches[i].truncate(Math.min(caches[i].length(), lcp));
        }
        Exit e = choose(feedFirst(ctx.tokens(), lcp, length), length);
        seen.record(ctx.tokens(), lcp, length);
        return ChainDraft.draft(ctx, ctx.budget(), new ChainDraft.Step(e.logits, e.hidden), null, (hist, len) -> {
            Exit next = choose(feedFirst(hist, len - 1, len), len);
            seen.record(hist, len - 1, len);
            return new ChainDraft.Step(next.logits, next.hidden);
        });
    }

    private static float top(float[] logits) {
        float[] p = Distributions.softmax(logits);
        return p[Distributions.argmax(p)];
    }

    private static float[] lastRow(float[] h, int dim) {
        return h.length == dim ? h : Arrays.copyOfRange(h, h.length - dim, h.length);
    }

    @Override
    public void close() {
        if (caches != null) {
            for (KvCache c : caches) {
                if (c != null) {
                    c.close();
                }
            }
            caches = null;
        }
        out = null;
    }
}
