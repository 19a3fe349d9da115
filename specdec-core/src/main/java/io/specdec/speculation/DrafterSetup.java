package io.specdec.speculation;

import io.specdec.model.CausalLM;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A configured drafter family for one target, as its {@link DrafterProvider} built it.
 *
 * @param name the drafter's registered name
 * @param factory one drafter per request
 * @param budget the nodes per round it is meant to run with (chain length or tree size; the controller's cap)
 * @param controller its preferred length controller (a fresh one per decoder)
 * @param memoryBytes extra memory it holds (draft weights and caches, matrices), in bytes
 * @param shape a short description for reports, e.g. {@code "chain K=3 (sized)"}
 * @param notes further facts for reports (sizing, learned statistics), label → text; may be empty
 * @param resources what it owns (loaded draft models); closed with the setup
 * @param draftModel the draft model it runs token by token, or null
 * @param featureWidth the width of the feature vectors its proposals carry per node ({@link DraftSignals#features()};
 *     0 = none): a typed capability, what SpecDec++'s acceptance head reads
 */
public record DrafterSetup(String name, DrafterFactory factory, int budget, Supplier<CandidateLengthController> controller,
        long memoryBytes, String shape, Supplier<Map<String, String>> notes, List<AutoCloseable> resources,
        CausalLM draftModel, int featureWidth) implements AutoCloseable {
    public DrafterSetup {
        if (budget < 1) {
            throw new IllegalArgumentException(name + ": budget must be >= 1, found " + budget);
        }
        if (featureWidth < 0) {
            throw new IllegalArgumentException(name + ": feature width must be >= 0, found " + featureWidth);
        }
        resources = List.copyOf(resources);
        notes = notes == null ? Map::of : notes;
    }

    /** A setup without a draft model and without per-node features. */
    public DrafterSetup(String name, DrafterFactory factory, int budget, Supplier<CandidateLengthController> controller,
            long memoryBytes, String shape, Supplier<Map<String, String>> notes, List<AutoCloseable> resources) {
        this(name, factory, budget, controller, memoryBytes, shape, notes, resources, null, 0);
    }

    /** The draft model, if this drafter runs one. */
    public java.util.Optional<CausalLM> draftModelIfAny() {
        return java.util.Optional.ofNullable(draftModel);
    }

    /** A setup with the static controller at {@code budget}, no notes and no resources. */
    public static DrafterSetup of(String name, DrafterFactory factory, int budget, long memoryBytes, String shape) {
        return new DrafterSetup(name, factory, budget, () -> LengthControllers.fixed(budget), memoryBytes, shape,
                Map::of, List.of());
    }

    /** Closes the resources (each one even if another fails). */
    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
