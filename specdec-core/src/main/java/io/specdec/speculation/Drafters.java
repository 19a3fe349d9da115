package io.specdec.speculation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The drafter registry: every {@link DrafterProvider} on the class path, found with {@link ServiceLoader}. Thread-safe.
 */
public final class Drafters {
    private Drafters() {}

    /** Every registered provider, by name (sorted), as the class loader of this class sees them. */
    public static List<DrafterProvider> providers() {
        Map<String, DrafterProvider> byName = new java.util.TreeMap<>();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        for (ServiceLoader<DrafterProvider> loader : List.of(ServiceLoader.load(DrafterProvider.class, cl),
                ServiceLoader.load(DrafterProvider.class, Drafters.class.getClassLoader()))) {
            for (DrafterProvider p : loader) {
                DrafterProvider prev = byName.putIfAbsent(p.name(), p);
                if (prev != null && prev.getClass() != p.getClass()) {
                    throw new IllegalStateException("two drafters are registered as '" + p.name() + "': "
                            + prev.getClass().getName() + " and " + p.getClass().getName());
                }
            }
        }
        return new ArrayList<>(byName.values());
    }

    /** The registered names, sorted. */
    public static List<String> names() {
        return providers().stream().map(DrafterProvider::name).toList();
    }

    /** The provider called {@code name}; an error listing the available names otherwise. */
    public static DrafterProvider named(String name) {
        for (DrafterProvider p : providers()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown drafter '" + name + "' (available: " + String.join(", ", names())
                + ")");
    }

    /** Checks {@code values} against the drafter's options and builds it. */
    public static DrafterSetup create(String name, DrafterEnvironment env, Map<String, String> values)
            throws IOException {
        DrafterProvider p = named(name);
        return p.create(env, new DrafterParams(name, p.options(), values));
    }

    /** Every option name of every provider → the providers that declare it (for CLIs). */
    public static Map<String, List<DrafterProvider>> optionOwners() {
        Map<String, List<DrafterProvider>> out = new LinkedHashMap<>();
        for (DrafterProvider p : providers()) {
            for (DrafterOption o : p.options()) {
                out.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(p);
            }
        }
        return out;
    }
}
