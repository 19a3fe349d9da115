package io.specdec.speculation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The registry of draft-length controllers ({@link ControllerProvider}s on the class path). A controller is named
 * {@code NAME} or {@code NAME:VALUE}, the short form setting the provider's {@link ControllerProvider#shortOption()}
 * ({@code static:3} = static with {@code k 3}, {@code specdec++:0.3} = SpecDec++ with threshold 0.3); further options
 * come as a map (the CLI's {@code --acceptance-head PATH}, the builder's {@code optControllerOption}). Thread-safe.
 */
public final class Controllers {
    private Controllers() {}

    /** Every registered provider, by name, in class-path order (names are unique). */
    public static List<ControllerProvider> providers() {
        Map<String, ControllerProvider> byName = new LinkedHashMap<>();
        for (ControllerProvider p : ServiceLoader.load(ControllerProvider.class, Controllers.class.getClassLoader())) {
            ControllerProvider old = byName.putIfAbsent(p.name(), p);
            if (old != null && old.getClass() != p.getClass()) {
                throw new IllegalStateException("two controllers registered as '" + p.name() + "': "
                        + old.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return List.copyOf(byName.values());
    }

    /** Registered names. */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        providers().forEach(p -> out.add(p.name()));
        return out;
    }

    /**
     * The provider of {@code spec} ({@code NAME} or {@code NAME:VALUE}).
     *
     * @throws IllegalArgumentException naming the registered controllers when there is none
     */
    public static ControllerProvider named(String spec) {
        String name = spec == null ? "" : spec.trim();
        int colon = name.indexOf(':');
        String base = colon < 0 ? name : name.substring(0, colon);
        for (ControllerProvider p : providers()) {
            if (p.name().equals(base)) {
                if (colon >= 0 && p.shortOption() == null) {
                    throw new IllegalArgumentException("controller " + base + " takes no ':' value, found '" + spec
                            + "'");
                }
                return p;
            }
        }
        throw new IllegalArgumentException("controller must be one of " + names() + " (NAME or NAME:VALUE, e.g."
                + " static:3), found '" + spec + "'");
    }

    /**
     * The typed options of {@code spec} with {@code options}: the short form's value joins them (given twice is an
     * error naming both).
     */
    public static DrafterParams params(String spec, Map<String, String> options) {
        ControllerProvider p = named(spec);
        Map<String, String> all = new LinkedHashMap<>(options);
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            String v = spec.substring(colon + 1).trim();
            if (all.containsKey(p.shortOption())) {
                throw new IllegalArgumentException("controller " + spec + " sets --" + p.shortOption()
                        + ", which is also given as " + all.get(p.shortOption()));
            }
            all.put(p.shortOption(), v);
        }
        return new DrafterParams("controller", p.name(), p.options(), all);
    }

    /**
     * A factory of controllers (one per request) named {@code spec} with {@code options} for the drafter of
     * {@code context}.
     *
     * @throws IllegalArgumentException for an unknown name or a bad option (one line, naming it)
     * @throws IOException when a file option cannot be read
     */
    public static java.util.function.Supplier<CandidateLengthController> create(String spec, Map<String, String> options,
            ControllerContext context) throws IOException {
        return named(spec).create(context, params(spec, options));
    }
}
