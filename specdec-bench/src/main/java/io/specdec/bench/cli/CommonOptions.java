package io.specdec.bench.cli;

import io.specdec.engine.SpecdecEngine;
import picocli.CommandLine.Option;

/** Options every command takes; {@link #apply()} configures the engine before any DJL class loads. */
final class CommonOptions {
    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default: 1; a second"
            + " thread under contention was 10-40x slower on 2 cores)")
    Integer threads;

    @Option(names = "--verbose", description = "library INFO logging and stack traces on errors")
    boolean verbose;

    /** Validates and applies the settings, then configures the engine (offline, tracking off, threads). */
    void apply(picocli.CommandLine cl) {
        if (threads != null) {
            if (threads < 1) {
                throw new picocli.CommandLine.ParameterException(cl, "--threads must be >= 1, found " + threads);
            }
            System.setProperty("specdec.threads", Integer.toString(threads));
        }
        SpecdecEngine.configure();
    }
}
