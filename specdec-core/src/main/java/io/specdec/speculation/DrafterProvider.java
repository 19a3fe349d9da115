package io.specdec.speculation;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A drafter family, registered with {@link java.util.ServiceLoader} (a line with the implementing class in
 * {@code META-INF/services/io.specdec.speculation.DrafterProvider}). The CLI, {@code bench}, the benchmark suite and
 * the {@code Specdec} entry point find drafters only through {@link Drafters}: adding a drafter touches its own
 * package and that one registration. Implementations are stateless and thread-safe.
 */
public interface DrafterProvider {
    /** The name users pick it by ({@code --drafter NAME}); lower-case words with dashes. */
    String name();

    /** One line for {@code --help}. */
    String description();

    /** Its typed options with their defaults. */
    List<DrafterOption> options();

    /**
     * Builds the drafter for {@code env}'s target from checked {@code params}.
     *
     * @throws IllegalArgumentException for values that do not fit the target (named, expected vs found)
     * @throws IOException when a file it reads (a draft model, a saved matrix) cannot be read
     */
    DrafterSetup create(DrafterEnvironment env, DrafterParams params) throws IOException;

    /**
     * The configurations the benchmark suite runs for this family: label → option values (defaults for the rest).
     * Default: one configuration labelled with the name, all defaults.
     */
    default Map<String, Map<String, String>> suitePresets() {
        return Map.of(name(), Map.of());
    }

}
