package io.specdec.verify;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import java.util.List;
import java.util.Locale;

/**
 * The named lossy acceptance rules behind the opt-in, one parser and factory for every entry point ({@code generate
 * --lossy}, {@code serve --lossy}, {@code Specdec.Builder#optLossy}, the quality harness): {@code typical[:ε]}
 * ({@link TypicalAcceptance}, ε default 0.09, δ 0.3), {@code lantern[:δ]} ({@link LanternAcceptance}, default 0.15,
 * 8 neighbours, sampled requests only), {@code judge[:threshold]} ({@link JudgeAcceptance}, default 0.5, greedy only,
 * needs a judge head) and {@code r2r[:threshold]} ({@link RouterAcceptance} with its {@link RouterStopRule}, default
 * 0.5, greedy only, needs a router). Stateless.
 */
public final class LossyPolicies {
    private LossyPolicies() {}

    /** The rule names. */
    public static final List<String> NAMES = List.of("typical", "lantern", "judge", "r2r");
    /** LANTERN's neighbourhood size. */
    public static final int LANTERN_NEIGHBOURS = 8;

    /**
     * A parsed rule.
     *
     * @param name one of {@link #NAMES}
     * @param knob its knob (the default where none was given)
     */
    public record Spec(String name, double knob) {
        /**
         * Parses {@code NAME[:KNOB]}.
         *
         * @throws IllegalArgumentException naming what was expected and found
         */
        public static Spec parse(String spec) {
            String[] kv = spec == null ? new String[] {""} : spec.strip().split(":", 2);
            if (!NAMES.contains(kv[0])) {
                throw new IllegalArgumentException("expected typical[:EPS], lantern[:DELTA], judge[:THRESHOLD] or"
                        + " r2r[:THRESHOLD], found '" + spec + "'");
            }
            double knob;
            try {
                knob = kv.length > 1 ? Double.parseDouble(kv[1]) : switch (kv[0]) {
                    case "typical" -> 0.09;
                    case "lantern" -> 0.15;
                    default -> 0.5;
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(spec + ": the knob after ':' must be a number, found '" + kv[1]
                        + "'");
            }
            if (!Double.isFinite(knob)) {
                throw new IllegalArgumentException(spec + ": the knob must be finite");
            }
            return new Spec(kv[0], knob);
        }

        /** Whether the rule changes anything for requests of this sampling (else they decode losslessly). */
        public boolean appliesTo(SamplingConfig s) {
            return switch (name) {
                case "typical" -> true;
                case "lantern" -> !s.isGreedy();
                default -> s.isGreedy();
            };
        }

        /** Whether it needs a head file: a judge ({@code train-judge}) or a router ({@code --draft-features}). */
        public boolean needsHead() {
            return name.equals("judge") || name.equals("r2r");
        }

        /** Whether it needs LANTERN's neighbourhoods of the target's embeddings. */
        public boolean needsNeighbours() {
            return name.equals("lantern");
        }

        @Override
        public String toString() {
            return name + ":" + String.format(Locale.ROOT, "%s", knob);
        }
    }

    /**
     * Checks that a rule's head reads what it will be given: a judge the target's hidden size, a router the drafter's
     * features plus the {@link io.specdec.speculation.DraftSignals#SCALARS} confidence signals.
     *
     * @param draftFeatureWidth the width of the features the drafter puts in its signals (0: none)
     * @throws IllegalArgumentException naming both sizes
     */
    public static void requireFits(Spec spec, JudgeHead head, int targetDim, int draftFeatureWidth) {
        if (head == null || !spec.needsHead()) {
            return;
        }
        if (spec.name().equals("judge") && head.dim() != targetDim) {
            throw new IllegalArgumentException("the judge head (" + head.target() + ") reads hidden states of size "
                    + head.dim() + ", this target's are " + targetDim + ": train one on it (train-judge)");
        }
        int want = draftFeatureWidth + io.specdec.speculation.DraftSignals.SCALARS;
        if (spec.name().equals("r2r") && head.dim() != want) {
            throw new IllegalArgumentException("the router (" + head.target() + ") reads " + head.dim() + " values,"
                    + " this drafter gives " + want + " (its features, " + draftFeatureWidth + ", and "
                    + io.specdec.speculation.DraftSignals.SCALARS + " signals): train one for this draft (train-judge"
                    + " --draft-features)");
        }
    }

    /**
     * The rule for requests of one sampling config.
     *
     * @param neighbours LANTERN's neighbourhoods ({@link LatentNeighbours#of}; required for lantern)
     * @param head the judge or router (required for judge and r2r)
     * @throws IllegalArgumentException when the rule does not apply to {@code sampling} or lacks what it needs
     */
    public static AcceptancePolicy create(Spec spec, SamplingConfig sampling, LatentNeighbours neighbours,
            JudgeHead head) {
        if (!spec.appliesTo(sampling)) {
            throw new IllegalArgumentException("lossy " + spec.name() + " applies to " + (sampling.isGreedy()
                    ? "sampled requests (temperature > 0)" : "greedy requests (temperature 0)"));
        }
        if (spec.needsHead() && head == null) {
            throw new IllegalArgumentException("lossy " + spec.name() + " needs its " + (spec.name().equals("judge")
                    ? "judge head (train-judge)" : "router (train-judge --draft-features)"));
        }
        return switch (spec.name()) {
            case "typical" -> new TypicalAcceptance((float) spec.knob(), 0.3f, sampling.isGreedy());
            case "lantern" -> {
                if (neighbours == null) {
                    throw new IllegalArgumentException("lossy lantern needs the target's latent neighbourhoods");
                }
                yield new LanternAcceptance(neighbours, (float) spec.knob());
            }
            case "judge" -> new JudgeAcceptance(head, spec.knob());
            default -> new RouterAcceptance(head, spec.knob());
        };
    }
}
