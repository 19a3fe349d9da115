package io.specdec.cli.suite;

import java.nio.file.Path;

/** Where the bench tools find the shared assets and keep their cache (twins, cost curves). */
public final class BenchPaths {
    private BenchPaths() {}

    /** {@code $SPECDEC_SHARED}, else {@code ../shared}. */
    public static Path shared() {
        String env = System.getenv("SPECDEC_SHARED");
        return Path.of(env != null && !env.isBlank() ? env : "../shared");
    }

    /**
     * The project's committed models (the distilled stories260K draft, trained heads): {@code $SPECDEC_MODELS},
     * else {@code models} (the repository's folder, relative to the working directory).
     */
    public static Path projectModels() {
        String env = System.getenv("SPECDEC_MODELS");
        return Path.of(env != null && !env.isBlank() ? env : "models");
    }

    /** {@code $SPECDEC_CACHE}, else {@code ~/.cache/specdec}. */
    public static Path cache() {
        String env = System.getenv("SPECDEC_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "specdec");
    }

    /** Where reports go unless {@code --out}/{@code --report} says otherwise: {@code <cache>/reports}. */
    public static Path reports() {
        return cache().resolve("reports");
    }
}
