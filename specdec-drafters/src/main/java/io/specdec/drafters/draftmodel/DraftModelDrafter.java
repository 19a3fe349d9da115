package io.specdec.drafters.draftmodel;

import io.specdec.drafters.DynamicTree;
import io.specdec.model.AttentionMask;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * A small draft model (Leviathan et al. 2023; Chen et al. 2023; tree mode after EAGLE-2, Li et al. 2024 —
 * ALGORITHMS.md §8). The draft keeps its own KV cache over the token sequence; at each round it first feeds the
 * tokens it has not seen (the accepted tokens and the new root, found as the longest common prefix with what its
 * cache holds) in one forward, then:
 * <ul>
 *   <li><b>chain</b>: drafts up to K tokens one forward at a time, each sampled from {@code q} (the draft's
 *       distribution after the request's shared logits processors) or, for greedy requests, its argmax (a point mass);
 *       the controller may stop after any token (it sees q, the top probability and the draft's final hidden state);
 *   <li><b>tree</b>: the library's dynamic tree ({@link DynamicTree}, EAGLE-2) on the processed draft
 *       distribution: each level's best {@code topK} frontier nodes are run in one forward with tree attention over
 *       the round's earlier tree rows ({@link AttentionMask#withHistory}), each expanded into its {@code topK}
 *       children, and the best {@code K} nodes by cumulative draft probability form the tree; candidates are
 *       deterministic (point masses), which the lossless tree rule requires for top-k expansion.
 * </ul>
 * After a tree round the cache is truncated to the root; chain tokens that were fed stay and are reused when
 * accepted. One instance per request (see {@link #builder()}); not thread-safe.
 */
public final class DraftModelDrafter implements Drafter {
    /** Drafting shape. */
    public enum Mode { CHAIN, TREE }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DraftModelDrafter.class);

    private final CausalLM draft;
    private final Tokenizer tokenizer;
    private final Mode mode;
    private final int topK;
    private KvCache cache;
    private final io.specdec.drafters.CachedSequence seen = new io.specdec.drafters.CachedSequence();

    private DraftModelDrafter(Builder b) {
        this.draft = b.model;
        this.tokenizer = b.tokenizer;
        this.mode = b.mode;
        this.topK = b.topK;
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link DrafterFactory} (one drafter per request over the same draft model). */
    public static final class Builder {
        private CausalLM model;
        private Tokenizer tokenizer;
        private Mode mode = Mode.CHAIN;
        private int topK = 3;

        /** The draft model (required; not closed by the drafters). */
        public Builder setModel(CausalLM m) {
            this.model = m;
            return this;
        }

        /**
         * The draft's tokenizer; the decoder then checks every token against the target's. Default: none (the draft
         * is trusted to use the target's token ids).
         */
        public Builder optTokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** Chain or tree; default {@link Mode#CHAIN}. */
        public Builder optMode(Mode m) {
            this.mode = java.util.Objects.requireNonNull(m, "mode");
            return this;
        }

        /** Children expanded per node in tree mode; default 3; ignored for chains. */
        public Builder optTopK(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("topK must be >= 1, found " + k);
            }
            this.topK = k;
            return this;
        }

        public DrafterFactory build() {
            java.util.Objects.requireNonNull(model, "draft model is required (setModel)");
            return () -> new DraftModelDrafter(this);
        }
    }

    /**
     * Runs the draft over {@code capacity} positions: a draft trained on a shorter context is run past it (RoPE
     * positions extend; quality past the trained length is the draft's), with an INFO note. Returns the weights to
     * load.
     */
    public static io.specdec.model.LlamaWeights forContext(io.specdec.model.LlamaWeights draft, int capacity,
            String name) {
        if (draft.config().contextLength() >= capacity) {
            return draft;
        }
        LOG.info("{}: draft context {} is shorter than the target's {}; RoPE extended to {} positions", name,
                draft.config().contextLength(), capacity, capacity);
        return draft.withContextLength(capacity);
    }

    @Override
    public void begin(io.specdec.speculation.PromptContext p) {
        int ctx = draft.config().contextLength();
        if (ctx < p.capacity()) {
            throw new IllegalArgumentException("draft model context " + ctx + " is shorter than this request's "
                    + p.capacity() + " positions (prompt + new tokens + draft): load the draft with"
                    + " DraftModelDrafter.forContext(weights, " + p.capacity() + ", name) or lower the request's"
                    + " maxNewTokens");
        }
        cache = draft.newCache(p.capacity());
    }

    @Override
    public int vocabSize() {
        return draft.config().vocabSize();
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Feeds what the cache lacks of {@code ctx}'s sequence; returns the logits after its last token. */
    private ForwardResult sync(int[] tokens, int length) {
        int lcp = seen.sync(cache, tokens, length);
        ForwardResult r = draft.forward(cache, Arrays.copyOfRange(tokens, lcp, length),
                ForwardOptions.LAST_ROW.withLastHidden());
        seen.record(tokens, lcp, length);
        return r;
    }

    /** True: the cache follows the sequence by longest common prefix ({@link #sync}), and nothing comes from observe. */
    @Override
    public boolean supportsLookahead() {
        return true;
    }

    @Override
    public DraftTree propose(DraftContext ctx) {
        int length = ctx.length();
        // room: the root's sync plus the drafted tokens
        if (length + ctx.budget() + 1 > cache.capacity()) {
            return DraftTree.empty();
        }
        ForwardResult r = sync(ctx.tokens(), length);
        return mode == Mode.CHAIN ? chain(ctx, r) : tree(ctx, r);
    }

    private DraftTree chain(DraftContext ctx, ForwardResult first) {
        return io.specdec.drafters.ChainDraft.draft(ctx, ctx.budget(), new io.specdec.drafters.ChainDraft.Step(
                first.row(0), lastRow(first.lastHidden())), null, (hist, len) -> {
                    ForwardResult r = draft.forward(cache, new int[] {hist[len - 1]},
                            ForwardOptions.LAST_ROW.withLastHidden());
                    seen.record(hist, len - 1, len);
                    return new io.specdec.drafters.ChainDraft.Step(r.row(0), lastRow(r.lastHidden()));
                });
    }

    /** The last row of hidden states {@code [T, dim]} (a catch-up forward returns every fed token's). */
    private float[] lastRow(float[] hidden) {
        int d = draft.config().dim();
        return hidden.length == d ? hidden : Arrays.copyOfRange(hidden, hidden.length - d, hidden.length);
    }

    /** What a tree node keeps: its row in the cache, its logits (its children's distribution) and hidden state. */
    private static final class Row {
        int cacheRow;
        float[] logits;
        float[] hidden;
    }

    private DraftTree tree(DraftContext ctx, ForwardResult rootResult) {
        int n = ctx.length();
        int base = cache.length(); // root included
        float[] rootLogits = rootResult.row(0);
        float[] rootHidden = lastRow(rootResult.lastHidden());
        int dim = draft.config().dim();
        int vocab = draft.config().vocabSize();
        int budget = ctx.budget();
        DynamicTree<Row> strategy = new DynamicTree<>(budget, topK, budget);
        return strategy.draft(budget, budget, new DynamicTree.Expansion<Row>() {
            @Override
            public float[] root() {
                return processedLogits(ctx, rootLogits, new int[0]);
            }

            @Override
            public float[][] expand(List<DynamicTree.Node<Row>> frontier) {
                int f = frontier.size();
                float[][] rows = new float[f][];
                if (cache.length() + f > cache.capacity()) {
                    for (int i = 0; i < f; i++) {
                        rows[i] = new float[vocab];
                        Arrays.fill(rows[i], Float.NEGATIVE_INFINITY); // out of room: no children
                    }
                    return rows;
                }
                int history = cache.length() - base;
                int[] toks = new int[f];
                int[] pos = new int[f];
                boolean[][] vis = new boolean[f][history + f];
                for (int i = 0; i < f; i++) {
                    DynamicTree.Node<Row> x = frontier.get(i);
                    toks[i] = x.token();
                    pos[i] = base - 1 + x.depth();
                    for (DynamicTree.Node<Row> a = x.parent(); a != null; a = a.parent()) {
                        vis[i][a.state.cacheRow] = true;
                    }
                    vis[i][history + i] = true;
                    x.state = new Row();
                    x.state.cacheRow = history + i;
                }
                try (ForwardResult r = draft.forward(cache, toks, pos, AttentionMask.withHistory(history, vis),
                        ForwardOptions.DEFAULT.withLastHidden())) {
                    float[] h = r.lastHidden();
                    for (int i = 0; i < f; i++) {
                        DynamicTree.Node<Row> x = frontier.get(i);
                        x.state.logits = r.row(i);
                        x.state.hidden = Arrays.copyOfRange(h, i * dim, (i + 1) * dim);
                        rows[i] = processedLogits(ctx, x.state.logits, x.path());
                    }
                }
                return rows;
            }

            @Override
            public float[] feature(DynamicTree.Node<Row> parent) {
                return parent == null ? rootHidden : parent.state.hidden;
            }

            @Override
            public void finish() {
                cache.truncate(base);
            }
        });
    }

    /**
     * The processed draft logits for the children of the node at {@code path}: the request's logits processors
     * applied (softmax of the row is the processed draft distribution q, {@code -inf} where q is zero); tree
     * candidates are deterministic and ranked by it, also for greedy requests. No per-entry log or softmax here: the
     * tree normalises once.
     */
    private static float[] processedLogits(DraftContext ctx, float[] logits, int[] path) {
        int n = ctx.length();
        int[] hist = Arrays.copyOf(ctx.tokens(), n + path.length);
        System.arraycopy(path, 0, hist, n, path.length);
        float[] l = logits.clone();
        ctx.processor().process(l, hist, hist.length);
        return l;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
