package io.specdec.cli;

import io.specdec.verify.LossyPolicies;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The lossy opt-in flags shared by {@code generate} and {@code serve}: {@code --lossy NAME[:KNOB]} and the head it
 * may need ({@code --judge FILE}, {@code --router FILE}); parsing and checks that name the flag (exit 2).
 */
public final class LossyOptions {
    @Option(names = "--lossy", paramLabel = "NAME[:KNOB]", description = "LOSSY opt-in acceptance rule:"
            + " typical[:EPS] (Medusa's typical acceptance, epsilon default 0.09), lantern[:DELTA] (LANTERN's relaxed"
            + " acceptance over the 8 nearest tokens in the target's embedding space, total-variation budget default"
            + " 0.15; sampled requests), judge[:THRESHOLD] (Judge Decoding with --judge FILE; greedy, default 0.5) or"
            + " r2r[:THRESHOLD] (R2R: the draft generates and its router, --router FILE, sends the tokens it routes to"
            + " the target; greedy, default 0.5, chunks up to 16 or --k); the output no longer follows the model's"
            + " distribution exactly")
    String lossy;

    @Option(names = "--judge", paramLabel = "FILE", description = "the judge head for --lossy judge (train-judge)")
    Path judge;

    @Option(names = "--router", paramLabel = "FILE", description = "the router for --lossy r2r (train-judge"
            + " --draft-features)")
    Path router;

    /** Whether {@code --lossy} was given. */
    boolean given() {
        return lossy != null;
    }

    /** The rule {@code --lossy} names, or null when not given; a usage error without a drafter to apply it to. */
    LossyPolicies.Spec spec(CommandLine cl, boolean hasDrafter) {
        if (lossy == null) {
            return null;
        }
        if (!hasDrafter) {
            throw new CommandLine.ParameterException(cl, "--lossy is an acceptance rule of speculative decoding: it"
                    + " needs a drafter");
        }
        try {
            return LossyPolicies.Spec.parse(lossy);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--lossy: " + e.getMessage());
        }
    }

    /** The head file the rule needs ({@code --judge} or {@code --router}), null when it needs none. */
    Path head(CommandLine cl, LossyPolicies.Spec spec) {
        if (spec == null || !spec.needsHead()) {
            return null;
        }
        Path f = spec.name().equals("judge") ? judge : router;
        if (f == null) {
            throw new CommandLine.ParameterException(cl, spec.name().equals("judge")
                    ? "--lossy judge needs --judge FILE (train-judge)"
                    : "--lossy r2r needs --router FILE (train-judge --draft-features)");
        }
        return f;
    }
}
