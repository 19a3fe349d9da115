package io.specdec.drafters.hybrid;

import io.specdec.drafters.TreeBuilder;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.RoundResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges the trees of several training-free drafters into one deduplicated tree under one node budget (no existing
 * system does this): sub-drafters propose in priority order, each with the budget that is left, and their trees are
 * inserted as a trie so shared paths are verified once. Typical use: prompt lookup first, then Token Recycling — a
 * copy-heavy span takes the n-gram branch, everything else the recycled branches. All nodes become point masses
 * (the point-mass rule is lossless for any candidates chosen independently of the verification randomness, so
 * sampled sub-drafts stay lossless, only less likely to be accepted). Every sub-drafter observes every round.
 */
public final class HybridDrafter implements Drafter {
    private final List<Drafter> parts;

    private HybridDrafter(List<Drafter> parts) {
        this.parts = parts;
    }

    /** A hybrid over {@code factories}, highest priority first; all must share one vocabulary. */
    public static DrafterFactory of(List<DrafterFactory> factories) {
        if (factories.isEmpty()) {
            throw new IllegalArgumentException("a hybrid drafter needs at least one sub-drafter");
        }
        return () -> {
            List<Drafter> ds = new ArrayList<>();
            for (DrafterFactory f : factories) {
                ds.add(f.create());
            }
            int v = ds.get(0).vocabSize();
            for (Drafter d : ds) {
                if (d.vocabSize() != v) {
                    throw new IllegalArgumentException("hybrid sub-drafters disagree on the vocabulary: " + v + " vs "
                            + d.vocabSize());
                }
            }
            return new HybridDrafter(ds);
        };
    }

    @Override
    public void begin(io.specdec.speculation.PromptContext prompt) {
        parts.forEach(d -> d.begin(prompt));
    }

    /** Everything any sub-drafter asked for. */
    @Override
    public io.specdec.speculation.OutputRequest targetOutputs() {
        boolean last = false;
        java.util.TreeSet<Integer> layers = new java.util.TreeSet<>();
        for (Drafter d : parts) {
            io.specdec.speculation.OutputRequest r = d.targetOutputs();
            last |= r.lastHidden();
            for (int l : r.hiddenLayers()) {
                layers.add(l);
            }
        }
        if (!last && layers.isEmpty()) {
            return io.specdec.speculation.OutputRequest.LOGITS;
        }
        return new io.specdec.speculation.OutputRequest(last, layers.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The first sub-drafter's own token table, if any. */
    @Override
    public io.specdec.tokenizer.Tokenizer tokenizer() {
        for (Drafter d : parts) {
            if (d.tokenizer() != null) {
                return d.tokenizer();
            }
        }
        return null;
    }

    @Override
    public DraftTree propose(DraftContext ctx) {
        TreeBuilder tree = new TreeBuilder(ctx.budget());
        for (Drafter d : parts) {
            int left = ctx.budget() - tree.size();
            if (left <= 0) {
                break;
            }
            DraftContext sub = new DraftContext(ctx.tokens(), ctx.length(), ctx.sampling(), ctx.processor(),
                    ctx.rng(), left, ctx.controller());
            tree.addTree(d.propose(sub));
        }
        return tree.build();
    }

    @Override
    public void observe(RoundResult result) {
        parts.forEach(d -> d.observe(result));
    }

    @Override
    public int vocabSize() {
        return parts.get(0).vocabSize();
    }

    @Override
    public void close() {
        parts.forEach(Drafter::close);
    }
}
