package io.specdec.verify;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * R2R-style routing (Fu et al. 2025, "R2R: Efficiently Navigating Divergent Reasoning Paths with Small-Large Model
 * Token Routing"; ALGORITHMS.md §9) as an acceptance rule — <b>lossy, opt-in</b>, greedy requests: a router on the
 * <em>draft's</em> own signals of each drafted token (its final hidden state, then the token's probability, the top
 * probability, the margin and the entropy: {@link DraftSignals#features()} followed by
 * {@link DraftSignals#scalars()}) scores whether the token keeps the path (is not path-divergent); a drafted token is
 * accepted when it is the target's argmax or the router scores it at least {@code threshold}. Paired with its
 * {@link #stopRule}, which the decoder uses in place of the request's controller (as R2R does) the chain stops at the first token the router routes
 * to the target, so every drafted token was kept by the router and the target decides only the routed ones (its
 * token replaces the routed draft token as the round's bonus). The router is a {@link JudgeHead} (the same linear
 * classifier) trained on draft features ({@code train-judge --draft-features}). Stateless; thread-safe.
 */
public final class RouterAcceptance implements AcceptancePolicy {
    private final JudgeHead router;
    private final double threshold;

    /** @param threshold the router's minimum score in (0, 1] to keep a draft the target's argmax rejects */
    public RouterAcceptance(JudgeHead router, double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("router threshold must be in (0, 1], found " + threshold);
        }
        this.router = java.util.Objects.requireNonNull(router, "router");
        this.threshold = threshold;
    }

    /**
     * R2R's routing as the stop rule that goes with this acceptance (the decoder uses it in place of the request's
     * controller): same router and threshold, chunks ≤ maxChunk.
     */
    @Override
    public RouterStopRule stopRule(int maxChunk) {
        return new RouterStopRule(router, threshold, maxChunk);
    }

    /** The router's input for a drafted token: the draft's features then its scalar signals. */
    public static float[] input(DraftSignals s) {
        float[] f = s.features() == null ? new float[0] : s.features();
        float[] sc = s.scalars();
        float[] v = Arrays.copyOf(f, f.length + sc.length);
        System.arraycopy(sc, 0, v, f.length, sc.length);
        return v;
    }

    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        return WidenedGreedyWalk.walk(tree, p, c -> {
            DraftSignals s = tree.signals(c);
            return s != null && router.score(input(s)) >= threshold;
        });
    }

    @Override
    public boolean supports(SamplingConfig sampling) {
        return sampling.isGreedy();
    }

    @Override
    public boolean isLossless() {
        return false;
    }

    @Override
    public String name() {
        return "r2r(" + router.target() + ", threshold " + threshold + ")";
    }
}
