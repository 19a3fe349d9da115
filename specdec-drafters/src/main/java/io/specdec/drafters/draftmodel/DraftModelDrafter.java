package io.specdec.drafters.draftmodel;

import io.specdec.model.AttentionMask;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.sampling.Distributions;
import io.specdec.sampling.TokenSampler;
import io.specdec.spec.CandidateLengthController.DraftStep;
import io.specdec.spec.DraftContext;
import io.specdec.spec.DraftTree;
import io.specdec.spec.Drafter;
import io.specdec.spec.DrafterFactory;
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
 * accepted. One instance per request (see {@link #factory}); not thread-safe.
 */
public final class DraftModelDrafter implements Drafter {
    /** Drafting shape. */
    public enum Mode { CHAIN, TREE }

    private final CausalLM draft;
    private final Mode mode;
    private final int topK;
    private KvCache cache;
    private final io.specdec.drafters.CachedSequence seen = new io.specdec.drafters.CachedSequence();

    private DraftModelDrafter(CausalLM draft, Mode mode, int topK) {
        this.draft = draft;
        this.mode = mode;
        this.topK = topK;
    }

    /**
     * Drafters over {@code draft}, one per request.
     *
     * @param topK children expanded per node in tree mode (ignored for chains)
     */
    public static DrafterFactory factory(CausalLM draft, Mode mode, int topK) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1");
        }
        return () -> new DraftModelDrafter(draft, mode, topK);
    }

    /**
     * Checks that draft and target share a vocabulary (same size and the same token strings) — speculation is
     * meaningless otherwise. Throws naming the first difference.
     */
    public static void checkCompatible(Tokenizer target, Tokenizer draftTok, CausalLM targetModel,
            CausalLM draftModel) {
        if (targetModel.config().vocabSize() != draftModel.config().vocabSize()) {
            throw new IllegalArgumentException("draft/target vocabulary mismatch: the draft model has "
                    + draftModel.config().vocabSize() + " embedding rows, the target " + targetModel.config().vocabSize());
        }
        if (target.vocabSize() != draftTok.vocabSize()) {
            throw new IllegalArgumentException("draft/target vocabulary mismatch: draft tokenizer has "
                    + draftTok.vocabSize() + " tokens, target " + target.vocabSize());
        }
        for (int i = 0; i < target.vocabSize(); i++) {
            if (!target.piece(i).equals(draftTok.piece(i))) {
                throw new IllegalArgumentException("draft/target vocabulary mismatch at token " + i + ": target '"
                        + target.piece(i) + "', draft '" + draftTok.piece(i) + "'");
            }
        }
    }

    @Override
    public void begin(int[] prompt) {
        cache = draft.newCache(Math.min(draft.config().contextLength(), 4096));
    }

    @Override
    public int vocabSize() {
        return draft.config().vocabSize();
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
        boolean greedy = ctx.sampling().isGreedy();
        int n = ctx.length();
        int[] hist = Arrays.copyOf(ctx.tokens(), n + ctx.budget());
        int[] toks = new int[ctx.budget()];
        float[][] qs = new float[ctx.budget()][];
        float[] logits = first.row(0);
        float[] hidden = first.lastHidden();
        int k = 0;
        while (k < ctx.budget()) {
            float[] q = TokenSampler.distribution(logits, hist, n + k, ctx.processor(), greedy);
            int x = greedy ? Distributions.argmax(q) : Distributions.sample(q, ctx.rng());
            float top = 0;
            for (float v : q) {
                top = Math.max(top, v);
            }
            if (!ctx.controller().continueDrafting(new DraftStep(k + 1, x, q[x], top, hidden))) {
                break;
            }
            toks[k] = x;
            qs[k] = greedy ? null : q;
            hist[n + k] = x;
            k++;
            if (k < ctx.budget()) {
                ForwardResult r = draft.forward(cache, new int[] {x}, ForwardOptions.LAST_ROW.withLastHidden());
                seen.record(hist, n + k - 1, n + k);
                logits = r.row(0);
                hidden = r.lastHidden();
            }
        }
        return DraftTree.chain(Arrays.copyOf(toks, k), Arrays.copyOf(qs, k));
    }

    private DraftTree tree(DraftContext ctx, ForwardResult rootResult) {
        boolean greedy = ctx.sampling().isGreedy();
        int n = ctx.length();
        int base = cache.length(); // root included
        List<Integer> tokens = new ArrayList<>();
        List<Integer> parents = new ArrayList<>();
        List<Double> cum = new ArrayList<>();
        int[] frontier = {-1};
        float[][] frontierLogits = {rootResult.row(0)};
        int budget = ctx.budget();
        for (int depth = 1; tokens.size() < budget; depth++) {
            // candidates: top-k children of every frontier node, scored by cumulative draft probability
            List<double[]> cand = new ArrayList<>(); // {score, parent, token}
            for (int f = 0; f < frontier.length; f++) {
                int node = frontier[f];
                int[] path = pathOf(node, tokens, parents);
                int[] hist = Arrays.copyOf(ctx.tokens(), n + path.length);
                System.arraycopy(path, 0, hist, n, path.length);
                // trees are deterministic candidates: rank by the processed draft distribution (softmax even if greedy)
                float[] q = TokenSampler.distribution(frontierLogits[f], hist, hist.length, ctx.processor(), false);
                double parentCum = node < 0 ? 1.0 : cum.get(node);
                for (int t : topIndices(q, topK)) {
                    cand.add(new double[] {parentCum * q[t], node, t, q[t]});
                }
            }
            cand.sort((a, b) -> Double.compare(b[0], a[0]));
            int take = Math.min(Math.min(topK, budget - tokens.size()), cand.size());
            List<Integer> added = new ArrayList<>();
            for (int i = 0; i < take; i++) {
                double[] c = cand.get(i);
                if (!ctx.controller().continueDrafting(new DraftStep(depth, (int) c[2], (float) c[3], (float) c[3],
                        null))) {
                    break;
                }
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
            ForwardResult r = draft.forward(cache, toks, pos, AttentionMask.tree(par), ForwardOptions.DEFAULT);
            frontier = new int[added.size()];
            frontierLogits = new float[added.size()][];
            for (int i = 0; i < added.size(); i++) {
                frontier[i] = added.get(i);
                frontierLogits[i] = r.row(added.get(i));
            }
        }
        cache.truncate(base);
        int[] tk = tokens.stream().mapToInt(Integer::intValue).toArray();
        int[] pa = parents.stream().mapToInt(Integer::intValue).toArray();
        return new DraftTree(tk, pa, new float[tk.length][]);
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
