package io.specdec.cli;

import io.specdec.engine.SpecdecEngine;
import picocli.CommandLine.Option;

/** Options every command takes; {@link #apply()} configures the engine before any DJL class loads. */
final class CommonOptions {
    @Option(names = "--threads", paramLabel = "N", description = "threads of the host kernels (default: chosen at"
            + " load between 1 and every core by a short measurement; SPECDEC_THREADS also sets it) and PyTorch's"
            + " intra-op threads (default 1)")
    Integer threads;

    @Option(names = "--verbose", description = "library INFO logging and stack traces on errors")
    boolean verbose;

    @Option(names = "--kernel", paramLabel = "K", description = "CPU kernels: auto (default: vector on a CPU where"
            + " the Vector API is present, else torch), torch (every op through PyTorch) or vector (host Vector API"
            + " kernels on the weights as stored; needs java --add-modules jdk.incubator.vector)")
    String kernel;

    /** Validates and applies the settings, then configures the engine (offline, tracking off, threads). */
    void apply(picocli.CommandLine cl) {
        if (threads != null) {
            int most = Math.max(256, 4 * Runtime.getRuntime().availableProcessors());
            if (threads < 1 || threads > most) {
                throw new picocli.CommandLine.ParameterException(cl, "--threads must be in 1.." + most
                        + " (4 x this machine's " + Runtime.getRuntime().availableProcessors() + " processors, at"
                        + " least 256), found " + threads);
            }
            System.setProperty("specdec.threads", Integer.toString(threads));
        }
        if (kernel != null) {
            String k = kernel.trim().toLowerCase(java.util.Locale.ROOT);
            if (!k.equals("auto") && !k.equals("torch") && !k.equals("vector")) {
                throw new picocli.CommandLine.ParameterException(cl, "--kernel must be auto, torch or vector, found '"
                        + kernel + "'");
            }
            if (k.equals("vector") && !io.specdec.model.Kernels.vectorAvailable()) {
                throw new picocli.CommandLine.ParameterException(cl, "--kernel vector needs the JVM option"
                        + " --add-modules jdk.incubator.vector (java --add-modules jdk.incubator.vector -jar ...)");
            }
            System.setProperty(io.specdec.model.Kernels.PROPERTY, k);
        }
        if (!io.specdec.model.Kernels.vectorAvailable() && !"torch".equals(kernel)) {
            System.err.println("note: the vector kernel is off (start java with --add-modules jdk.incubator.vector;"
                    + " see docs/PERFORMANCE.md); every op runs through PyTorch");
        }
        SpecdecEngine.configure();
    }
}
