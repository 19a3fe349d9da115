package io.specdec.verify;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.OutputRequest;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Judge Decoding (Bachmann et al. 2025; ALGORITHMS.md §9) — <b>lossy, opt-in</b>, greedy requests: at each node a
 * child is accepted when it is the target's argmax (plain verification) <em>or</em> when the {@link JudgeHead} on the
 * target's hidden state of that child's own row (computed by the verify forward anyway) scores it at least
 * {@code threshold}; aligned children are preferred. The walk goes on below a judged child with the target's own
 * outputs there, and the token after the accepted path is the target's argmax. Stateless; thread-safe.
 */
public final class JudgeAcceptance implements AcceptancePolicy {
    private static final OutputRequest HIDDEN = new OutputRequest(true, new int[0]);
    private final JudgeHead judge;
    private final double threshold;

    /** @param threshold the judge's minimum score in (0, 1] to accept a draft the target's argmax rejects */
    public JudgeAcceptance(JudgeHead judge, double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("judge threshold must be in (0, 1], found " + threshold);
        }
        this.judge = java.util.Objects.requireNonNull(judge, "judge");
        this.threshold = threshold;
    }

    @Override
    public OutputRequest targetOutputs() {
        return HIDDEN;
    }

    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        throw new IllegalStateException("judge acceptance reads the target's hidden states: the decoder walks it with"
                + " them (targetOutputs asks for the last hidden state)");
    }

    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, IntFunction<float[]> hidden, SplittableRandom rng) {
        return WidenedGreedyWalk.walk(tree, p, c -> judge.score(hidden.apply(c)) >= threshold);
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
        return "judge(" + judge.target() + ", threshold " + threshold + ")";
    }
}
