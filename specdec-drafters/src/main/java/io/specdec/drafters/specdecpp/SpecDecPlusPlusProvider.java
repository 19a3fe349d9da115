package io.specdec.drafters.specdecpp;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.ControllerContext;
import io.specdec.speculation.ControllerProvider;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The registration of SpecDec++ (Huang et al. 2024, {@link ThresholdController}) as the controller
 * {@code specdec++}: {@code --acceptance-head PATH} (required; {@code train-acceptance-head --drafter NAME}),
 * {@code --threshold H} (or {@code specdec++:H}; default derived from the target's measured cost curve),
 * {@code --k-min N}. It needs a drafter whose proposals carry per-node features
 * ({@link io.specdec.speculation.DrafterSetup#featureWidth()}: draft model, EAGLE, Hydra, Medusa) and a head trained
 * for that drafter; otherwise a one-line error says so.
 */
public final class SpecDecPlusPlusProvider implements ControllerProvider {
    @Override
    public String name() {
        return "specdec++";
    }

    @Override
    public String description() {
        return "SpecDec++: stop when the acceptance head predicts a rejection is likely (needs --acceptance-head)";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(
                DrafterOption.required("acceptance-head", DrafterOption.Kind.PATH, "SpecDec++ acceptance head"
                        + " (train-acceptance-head --drafter NAME) for the chosen drafter"),
                DrafterOption.of("threshold", DrafterOption.Kind.FLOAT, null, "stop threshold H in (0, 1); default:"
                        + " derived from the cost curve and the measured draft cost"),
                DrafterOption.of("k-min", DrafterOption.Kind.INT, "1", "depth always drafted (1..256)"));
    }

    @Override
    public String shortOption() {
        return "threshold";
    }

    @Override
    public Supplier<CandidateLengthController> create(ControllerContext c, DrafterParams p) throws IOException {
        Float h = p.getFloat("threshold", 0f, 1f);
        if (h != null && !(h > 0 && h < 1)) {
            throw new io.specdec.speculation.OptionException("--threshold (controller specdec++) must be in (0, 1),"
                    + " found " + h);
        }
        int kMin = p.getInt("k-min", 1, 256);
        if (c.setup().featureWidth() == 0 && c.setup().draftModel() == null) {
            throw new IllegalArgumentException("controller specdec++ needs a drafter whose proposals carry features"
                    + " (draft-model, eagle, hydra, medusa); " + c.setup().name() + " has none");
        }
        Path file = p.getPath("acceptance-head");
        AcceptanceHead head = AcceptanceHead.load(file);
        head.requireDrafter(c.setup().name(), c.setup().featureWidth(), file.toString());
        int kMax = Math.max(kMin, c.setup().budget());
        CostCurve curve = h == null ? CostCurve.cached(c.target(), c.cacheDir(), 5) : null;
        return () -> new ThresholdController(head, h, kMin, kMax, curve);
    }
}
