package io.specdec.drafters.heads;

import io.specdec.speculation.DrafterProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The registered head families: every {@link HeadsProvider} among the drafter providers
 * ({@code META-INF/services/io.specdec.speculation.DrafterProvider}), so registering a family's drafter registers the
 * family. Thread-safe.
 */
public final class HeadArchitectures {
    private HeadArchitectures() {}

    /** Every registered family, in registration order. */
    public static List<HeadArchitecture> all() {
        List<HeadArchitecture> out = new ArrayList<>();
        for (DrafterProvider p : ServiceLoader.load(DrafterProvider.class, HeadArchitectures.class.getClassLoader())) {
            if (p instanceof HeadsProvider h) {
                out.add(h.architecture());
            }
        }
        return out;
    }

    /** The family called {@code id}; a one-line error listing the registered families otherwise. */
    public static HeadArchitecture of(String id) {
        List<String> names = new ArrayList<>();
        for (HeadArchitecture a : all()) {
            if (a.id().equals(id)) {
                return a;
            }
            names.add(a.id());
        }
        throw new IllegalArgumentException("unknown head kind '" + id + "' (" + String.join(", ", names) + ")");
    }
}
