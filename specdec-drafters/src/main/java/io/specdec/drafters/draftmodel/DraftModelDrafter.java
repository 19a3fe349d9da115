package io.specdec.drafters.draftmodel;

import io.specdec.model.AttentionMask;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.sampling.TokenSampler;
import io.specdec.speculation.DraftGate;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.tokenizer.Tokenizer;
import java.util.ArrayList;
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
 *   <li><b>tree</b>: expands the {@code topK} most likely children of the frontier, keeping per depth the candidates
 *       with the highest cumulative draft probability, until the node budget is spent; the whole tree is re-run with
 *       tree attention at each depth (cheap on CPU, where c(T) is flat), and candidates are deterministic (point
 *       masses), which the lossless tree rule requires for top-k expansion.
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
        int n = ctx.length();
        int[] hist = Arrays.copyOf(ctx.tokens(), n + ctx.budget());
        int[] toks = new int[ctx.budget()];
        float[][] qs = new float[ctx.budget()][];
        DraftSignals[] sig = new DraftSignals[ctx.budget()];
        float[] logits = first.row(0);
        float[] hidden = lastRow(first.lastHidden());
        DraftGate.Chain gate = ctx.gate();
        int k = 0;
        while (k < ctx.budget()) {
            float[] q = ctx.chainDistribution(logits, hist, n + k);
            int x = ctx.pick(q);
            DraftSignals s = ctx.signals(logits, q, hist, n + k, x, hidden);
            if (!gate.admit(x, s, !ctx.greedy())) {
                break;
            }
            toks[k] = x;
            qs[k] = ctx.stored(q);
            sig[k] = s;
            hist[n + k] = x;
            k++;
            if (k < ctx.budget()) {
                ForwardResult r = draft.forward(cache, new int[] {x}, ForwardOptions.LAST_ROW.withLastHidden());
                seen.record(hist, n + k - 1, n + k);
                logits = r.row(0);
                hidden = lastRow(r.lastHidden());
            }
        }
        return DraftTree.chain(Arrays.copyOf(toks, k), Arrays.copyOf(qs, k), Arrays.copyOf(sig, k));
    }

    /** The last row of hidden states {@code [T, dim]} (a catch-up forward returns every fed token's). */
    private float[] lastRow(float[] hidden) {
        int d = draft.config().dim();
        return hidden.length == d ? hidden : Arrays.copyOfRange(hidden, hidden.length - d, hidden.length);
    }

    private DraftTree tree(DraftContext ctx, ForwardResult rootResult) {
        int n = ctx.length();
        int base = cache.length(); // root included
        List<Integer> tokens = new ArrayList<>();
        List<Integer> parents = new ArrayList<>();
        List<Double> cum = new ArrayList<>();
        List<DraftSignals> signals = new ArrayList<>();
        int[] frontier = {-1};
        float[][] frontierLogits = {rootResult.row(0)};
        float[][] frontierHidden = {lastRow(rootResult.lastHidden())};
        int dim = draft.config().dim();
        int budget = ctx.budget();
        for (int depth = 1; tokens.size() < budget; depth++) {
            // candidates: top-k children of every frontier node, scored by cumulative draft probability
            List<double[]> cand = new ArrayList<>(); // {score, parent, token, q, frontier index}
            DraftSignals[] shapes = new DraftSignals[frontier.length]; // per frontier node: its q's shape
            for (int f = 0; f < frontier.length; f++) {
                int node = frontier[f];
                int[] path = pathOf(node, tokens, parents);
                int[] hist = Arrays.copyOf(ctx.tokens(), n + path.length);
                System.arraycopy(path, 0, hist, n, path.length);
                // trees are deterministic candidates: rank by the processed draft distribution (softmax even if greedy)
                float[] q = TokenSampler.distribution(frontierLogits[f], hist, hist.length, ctx.processor(), false);
                double parentCum = node < 0 ? 1.0 : cum.get(node);
                int[] top = topIndices(q, topK);
                shapes[f] = DraftSignals.of(q, top.length == 0 ? 0 : top[0], frontierHidden[f]);
                for (int t : top) {
                    cand.add(new double[] {parentCum * q[t], node, t, q[t], f});
                }
            }
            cand.sort((a, b) -> Double.compare(b[0], a[0]));
            int take = Math.min(Math.min(topK, budget - tokens.size()), cand.size());
            List<Integer> added = new ArrayList<>();
            for (int i = 0; i < take; i++) {
                double[] c = cand.get(i);
                DraftSignals shape = shapes[(int) c[4]];
                signals.add(new DraftSignals((float) c[3], shape.topProbability(), shape.margin(), shape.entropy(),
                        shape.features()));
                tokens.add((int) c[2]);
                parents.add((int) c[1]);
                cum.add(c[0]);
                added.add(tokens.size() - 1);
            }
            if (added.isEmpty() || tokens.size() >= budget) {
                break;
            }
            // re-run the tree so far with tree attention to get logits at the new frontier
            cache.truncate(base);
            int t = tokens.size();
            int[] toks = new int[t];
            int[] pos = new int[t];
            int[] par = new int[t];
            int[] dep = new int[t];
            for (int j = 0; j < t; j++) {
                toks[j] = tokens.get(j);
                par[j] = parents.get(j);
                dep[j] = par[j] < 0 ? 1 : dep[par[j]] + 1;
                pos[j] = base - 1 + dep[j];
            }
            ForwardResult r = draft.forward(cache, toks, pos, AttentionMask.tree(par),
                    ForwardOptions.DEFAULT.withLastHidden());
            float[] h = r.lastHidden();
            frontier = new int[added.size()];
            frontierLogits = new float[added.size()][];
            frontierHidden = new float[added.size()][];
            for (int i = 0; i < added.size(); i++) {
                frontier[i] = added.get(i);
                frontierLogits[i] = r.row(added.get(i));
                frontierHidden[i] = Arrays.copyOfRange(h, added.get(i) * dim, (added.get(i) + 1) * dim);
            }
        }
        cache.truncate(base);
        int[] tk = tokens.stream().mapToInt(Integer::intValue).toArray();
        int[] pa = parents.stream().mapToInt(Integer::intValue).toArray();
        return new DraftTree(tk, pa, new float[tk.length][], signals.toArray(new DraftSignals[0]));
    }

    private static int[] pathOf(int node, List<Integer> tokens, List<Integer> parents) {
        int d = 0;
        for (int x = node; x >= 0; x = parents.get(x)) {
            d++;
        }
        int[] p = new int[d];
        for (int x = node, i = d - 1; x >= 0; x = parents.get(x), i--) {
            p[i] = tokens.get(x);
        }
        return p;
    }

    /** Indices of the k largest entries with non-zero probability, largest first. */
    static int[] topIndices(float[] q, int k) {
        Integer[] idx = new Integer[q.length];
        for (int i = 0; i < q.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(q[b], q[a]));
        int m = 0;
        while (m < Math.min(k, q.length) && q[idx[m]] > 0) {
            m++;
        }
        int[] r = new int[m];
        for (int i = 0; i < m; i++) {
            r[i] = idx[i];
        }
        return r;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
