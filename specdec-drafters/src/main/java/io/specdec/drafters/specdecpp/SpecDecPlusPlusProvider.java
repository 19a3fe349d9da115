package io.specdec.drafters.specdecpp;

import io.specdec.model.CausalLM;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.ControllerContext;
import io.specdec.speculation.ControllerProvider;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The registration of SpecDec++ (Huang et al. 2024, {@link ThresholdController}) as the controller
 * {@code specdec++}: {@code --acceptance-head PATH} (required; {@code train-acceptance-head}), {@code --threshold H}
 * (or {@code specdec++:H}; default derived from the target's measured cost curve), {@code --k-min N}. It needs a
 * drafter that runs a draft model ({@link io.specdec.speculation.DrafterSetup#draftModel()}), whose hidden state the
 * head reads, and checks the head was trained for that draft.
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
                        + " (train-acceptance-head) for the draft model"),
                DrafterOption.of("threshold", DrafterOption.Kind.FLOAT, null, "stop threshold H in (0, 1); default:"
                        + " derived from the cost curve and the measured draft cost"),
                DrafterOption.of("k-min", DrafterOption.Kind.INT, "1", "tokens always drafted"));
    }

    @Override
    public String shortOption() {
        return "threshold";
    }

    @Override
    public CandidateLengthController create(ControllerContext c, DrafterParams p) throws IOException {
        Float h = p.getFloat("threshold", 0f, 1f);
        int kMin = p.getInt("k-min", 1, 256);
        CausalLM draft = c.setup().draftModelIfAny().orElseThrow(() -> new IllegalArgumentException("controller"
                + " specdec++ needs a drafter that runs a draft model (its head reads the draft's hidden state); "
                + c.setup().name() + " has none"));
        Path file = p.getPath("acceptance-head");
        AcceptanceHead head = AcceptanceHead.load(file);
        head.requireDraft(draft.config(), file.toString());
        return new ThresholdController(head, h, kMin, Math.max(kMin, c.setup().budget()),
                h == null ? CostCurve.cached(c.target(), c.cacheDir(), 5) : null);
    }
}
