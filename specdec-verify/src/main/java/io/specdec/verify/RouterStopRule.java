package io.specdec.verify;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CandidateLengthController;

/**
 * R2R's routing decision as the decode loop's stop rule (Fu et al. 2025, "R2R: Efficiently Navigating Divergent
 * Reasoning Paths with Small-Large Model Token Routing"; ALGORITHMS.md §9) — <b>lossy, opt-in</b>, greedy requests,
 * always paired with {@link RouterAcceptance} of the same router and threshold. The small model generates; each token
 * it drafts is scored by the router ({@link RouterAcceptance#input}: the draft's final hidden state and confidence
 * signals); the chain goes on while the router says the token keeps the path (score ≥ {@code threshold}) and stops
 * at the first token it routes to the large model, which is dropped: the target's forward over the chain then gives
 * its own token at that position (the round's bonus token). Every token the router kept is accepted by
 * {@link RouterAcceptance} whatever the target's argmax, so the target decides only the routed tokens — one target
 * forward per routed token (plus one per {@code maxChunk} kept tokens), each over the chunk drafted since, which is
 * how R2R runs the large model (a prefill of the small model's tokens, then its own token).
 *
 * <p>One per request; stateless, thread-safe.
 */
public final class RouterStopRule implements CandidateLengthController {
    private final JudgeHead router;
    private final double threshold;
    private final int maxChunk;

    /**
     * @param router the router ({@code train-judge --draft-features})
     * @param threshold the score in (0, 1] a drafted token needs to stay with the small model
     * @param maxChunk the most tokens drafted before the target runs anyway (≥ 1)
     */
    public RouterStopRule(JudgeHead router, double threshold, int maxChunk) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("router threshold must be in (0, 1], found " + threshold);
        }
        if (maxChunk < 1) {
            throw new IllegalArgumentException("router chunk must be >= 1 token, found " + maxChunk);
        }
        this.router = java.util.Objects.requireNonNull(router, "router");
        this.threshold = threshold;
        this.maxChunk = maxChunk;
    }

    @Override
    public void begin(SamplingConfig sampling) {
        if (!sampling.isGreedy()) {
            throw new IllegalArgumentException("the R2R router routes greedy decoding only (temperature 0), found "
                    + "temperature " + sampling.temperature());
        }
    }

    @Override
    public int nextBudget(int max) {
        return Math.min(maxChunk, max);
    }

    /** Keeps a drafted token the router scores at least the threshold; stops (drops it) at the first it routes. */
    @Override
    public double admit(DraftStep step) {
        if (step.signals() == null) {
            throw new IllegalStateException("the R2R router needs the drafter's signals of each token (a draft model"
                    + " or s2d drafter gives them)");
        }
        return router.score(RouterAcceptance.input(step.signals())) >= threshold ? 1 : STOP;
    }

    @Override
    public String name() {
        return "r2r-router(" + threshold + ", chunk ≤ " + maxChunk + ")";
    }
}
