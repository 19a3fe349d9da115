package io.specdec.verify;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * LANTERN's relaxed speculative sampling (Jang et al. 2024, "LANTERN: Accelerating Visual Autoregressive Models with
 * Relaxed Speculative Decoding"; ALGORITHMS.md §9) — <b>lossy, opt-in</b>. Where the target distribution is flat,
 * plain rejection sampling rejects drafts that the target finds nearly as good as its own choices. LANTERN replaces
 * the target probability of the drafted token x by the mass of its latent neighbourhood: the nearest tokens to x in
 * the target's embedding space ({@link LatentNeighbours}, at most {@code k}), taken nearest first while their summed
 * probability stays ≤ δ, so the relaxed distribution (that mass moved onto x) is within total variation δ of the
 * target's at each position. The draft is accepted with probability {@code min(1, p̃(x)/q(x))} ({@code q(x) = 1} for
 * deterministic drafts); on rejection the walk goes on exactly as {@link RejectionSampling} (residual
 * {@code max(0, p' − q)}, or x removed for a deterministic draft), and the corrected token is drawn from the
 * residual. δ = 0 is rejection sampling. Applies to sampled requests only (for a greedy request the target's
 * distribution is a point mass and nothing can be relaxed). Stateless; thread-safe.
 */
public final class LanternAcceptance implements AcceptancePolicy {
    private final LatentNeighbours neighbours;
    private final float delta;

    /**
     * @param neighbours each token's latent neighbourhood (its size is LANTERN's k)
     * @param delta the total-variation budget δ per position, in [0, 1)
     */
    public LanternAcceptance(LatentNeighbours neighbours, float delta) {
        if (!(delta >= 0 && delta < 1)) {
            throw new IllegalArgumentException("LANTERN delta must be in [0, 1), found " + delta);
        }
        this.neighbours = java.util.Objects.requireNonNull(neighbours, "neighbours");
        this.delta = delta;
    }

    /** p̃(x): p'(x) plus the mass of x's nearest neighbours, nearest first, while the moved mass stays ≤ δ·mass. */
    double relaxed(double[] residual, double mass, int x) {
        double moved = 0;
        double budget = delta * mass;
        for (int y : neighbours.of(x)) {
            double py = residual[y];
            if (moved + py > budget) {
                break;
            }
            moved += py;
        }
        return residual[x] + moved;
    }

    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        return RejectionSampling.walk(tree, p, rng, this::relaxed);
    }

    @Override
    public boolean supports(SamplingConfig sampling) {
        return !sampling.isGreedy();
    }

    @Override
    public boolean isLossless() {
        return false;
    }

    @Override
    public String name() {
        return "lantern(k=" + neighbours.k() + ",delta=" + delta + ")";
    }
}
