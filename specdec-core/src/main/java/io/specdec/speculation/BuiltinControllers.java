package io.specdec.speculation;

import java.util.List;
import java.util.function.Supplier;

/**
 * The registrations of the training-free controllers of {@link LengthControllers} ({@link ControllerProvider}s,
 * listed in {@code META-INF/services}): static (the drafter's budget, or {@code static:K}), heuristic, confidence
 * ({@code confidence:P}) and goodput.
 */
public final class BuiltinControllers {
    private BuiltinControllers() {}

    /** {@code static}: always K (default: the drafter's budget). */
    public static final class Static implements ControllerProvider {
        @Override
        public String name() {
            return "static";
        }

        @Override
        public String description() {
            return "always K tokens (default: the drafter's own choice, its sized budget)";
        }

        @Override
        public List<DrafterOption> options() {
            return List.of(DrafterOption.of("k", DrafterOption.Kind.INT, null, "tokens per round (1..256)"));
        }

        @Override
        public String shortOption() {
            return "k";
        }

        @Override
        public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) {
            if (p.isSet("k")) {
                int k = p.getInt("k", 1, 256);
                return () -> LengthControllers.fixed(k);
            }
            return c.setup().controller();
        }
    }

    /** {@code heuristic}: Hugging Face's +2 / −1 rule. */
    public static final class Heuristic implements ControllerProvider {
        @Override
        public String name() {
            return "heuristic";
        }

        @Override
        public String description() {
            return "Hugging Face's rule: +2 after a fully accepted round, else -1";
        }

        @Override
        public List<DrafterOption> options() {
            return List.of();
        }

        @Override
        public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) {
            int b = c.setup().budget();
            return () -> LengthControllers.heuristic(Math.min(b, 4), Math.max(b, 16));
        }
    }

    /** {@code confidence}: stop below a draft probability (llama.cpp {@code p_min}). */
    public static final class Confidence implements ControllerProvider {
        @Override
        public String name() {
            return "confidence";
        }

        @Override
        public String description() {
            return "stop when the drafted token's probability falls below P (llama.cpp p_min)";
        }

        @Override
        public List<DrafterOption> options() {
            return List.of(DrafterOption.of("confidence", DrafterOption.Kind.FLOAT, "0.4", "stop threshold P in"
                    + " (0, 1)"));
        }

        @Override
        public String shortOption() {
            return "confidence";
        }

        @Override
        public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) {
            float t = p.getFloat("confidence", 0f, 1f);
            int max = Math.max(c.setup().budget(), 8);
            return () -> LengthControllers.confidence(t, max);
        }
    }

    /** {@code goodput}: the vLLM goodput model. */
    public static final class Goodput implements ControllerProvider {
        @Override
        public String name() {
            return "goodput";
        }

        @Override
        public String description() {
            return "goodput model (vLLM design note): K that maximises expected tokens per unit of time";
        }

        @Override
        public List<DrafterOption> options() {
            return List.of();
        }

        @Override
        public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) {
            int max = Math.max(c.setup().budget(), 8);
            return () -> LengthControllers.goodput(max);
        }
    }
}
