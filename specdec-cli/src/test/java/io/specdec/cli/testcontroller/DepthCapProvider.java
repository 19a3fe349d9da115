package io.specdec.cli.testcontroller;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.ControllerContext;
import io.specdec.speculation.ControllerProvider;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.RoundResult;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A controller registered only in this module's test resources, {@code depth-cap[:D]} ({@code --depth D}, default 2):
 * it grants the drafter's whole budget and stops every branch after depth D; it records the deepest verified round it
 * saw ({@link #deepest}), so tests can show the decode loop enforces it for every drafter.
 */
public final class DepthCapProvider implements ControllerProvider {
    /** The deepest drafted branch any depth-cap controller has seen verified (reset by tests). */
    public static final AtomicInteger deepest = new AtomicInteger();
    /** Rounds with at least one drafted token seen by any depth-cap controller. */
    public static final AtomicInteger drafting = new AtomicInteger();

    @Override
    public String name() {
        return "depth-cap";
    }

    @Override
    public String description() {
        return "test controller: stop every branch after depth D";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(DrafterOption.of("depth", DrafterOption.Kind.INT, "2", "deepest drafted token kept"));
    }

    @Override
    public String shortOption() {
        return "depth";
    }

    @Override
    public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) {
        int cap = p.getInt("depth", 1, 64);
        int budget = c.setup().budget();
        return () -> new CandidateLengthController() {
            @Override
            public int nextBudget(int max) {
                return Math.min(max, Math.max(budget, 8));
            }

            @Override
            public double admit(DraftStep step) {
                return step.depth() > cap ? STOP : 1;
            }

            @Override
            public void observe(RoundResult r) {
                deepest.accumulateAndGet(r.tree().maxDepth(), Math::max);
                if (r.tree().size() > 0) {
                    drafting.incrementAndGet();
                }
            }

            @Override
            public String name() {
                return "depth-cap(" + cap + ")";
            }
        };
    }
}
