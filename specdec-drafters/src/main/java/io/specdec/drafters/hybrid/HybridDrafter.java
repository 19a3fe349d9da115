package io.specdec.drafters.hybrid;

import io.specdec.drafters.TreeBuilder;
import io.specdec.spec.DraftContext;
import io.specdec.spec.DraftTree;
import io.specdec.spec.Drafter;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.RoundResult;
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
    public static DrafterFactory factory(List<DrafterFactory> factories) {
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
    public void begin(int[] prompt) {
        parts.forEach(d -> d.begin(prompt));
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
