package io.specdec.speculation;

import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * A registered family of draft-length controllers (ALGORITHMS.md §7), found with {@link java.util.ServiceLoader}
 * like drafters ({@link DrafterProvider}): the built-in static, heuristic, confidence and goodput controllers
 * ({@link LengthControllers}) and SpecDec++ ({@code specdec-drafters}). {@link Controllers} resolves a name such as
 * {@code static:3} or {@code specdec++} plus typed options into a fresh controller for one decoder.
 *
 * <p>Implementations are stateless and thread-safe; {@link #create} checks the options and loads files once and
 * returns a factory that makes one controller per request.
 */
public interface ControllerProvider {
    /** The registered name (lower case, e.g. {@code goodput}). */
    String name();

    /** One line for help texts. */
    String description();

    /** The options it takes (typed; checked by {@link DrafterParams} before {@link #create} runs). */
    List<DrafterOption> options();

    /**
     * The option a short form {@code name:VALUE} sets ({@code static:3} sets {@code k}), or null when there is none.
     */
    default String shortOption() {
        return null;
    }

    /**
     * A factory of controllers (one per request) for the drafter of {@code context}; options are checked and files
     * read here, not per request.
     *
     * @throws IllegalArgumentException naming the option or drafter when they do not fit together
     * @throws IOException when a file option cannot be read
     */
    Supplier<CandidateLengthController> create(ControllerContext context, DrafterParams params) throws IOException;
}
