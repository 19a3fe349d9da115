package io.specdec.model;

import java.util.Locale;

/**
 * Which backend runs the one forward ({@link LlamaForward}) of a {@link LlamaModel}:
 * <ul>
 *   <li>{@code torch}: {@link TorchForward}, every op through DJL/PyTorch — the only choice on a GPU (weights uploaded
 *       once, quantized blocks as float16 there);
 *   <li>{@code vector}: {@link HostForward}, every op on the host with the JDK Vector API over the weights in their
 *       storage format, memory-mapped, on all cores ({@link io.specdec.tensor.HostKernels}). Needs
 *       {@code --add-modules jdk.incubator.vector} on the JVM command line;
 *   <li>{@code auto} (default): {@code vector} on a CPU where the module is present, else {@code torch}.
 * </ul>
 * Set with the system property {@value #PROPERTY} or the environment variable {@code SPECDEC_KERNEL}. Thread-safe.
 */
public final class Kernels {
    /** System property naming the kernel: {@code auto}, {@code torch} or {@code vector}. */
    public static final String PROPERTY = "specdec.kernel";
    private static final String MODULE = "jdk.incubator.vector";

    private Kernels() {}

    private static final java.util.concurrent.atomic.AtomicBoolean NOTED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Logs once per JVM (INFO, SLF4J) that the host kernel is off because the Vector API module is missing, and how
     * to turn it on; called when a model on a CPU falls back to PyTorch under {@code auto}.
     */
    static void noteMissingModule() {
        if (NOTED.compareAndSet(false, true)) {
            org.slf4j.LoggerFactory.getLogger(Kernels.class).info("the host (vector) kernel is off: start the JVM with"
                    + " --add-modules jdk.incubator.vector to run on the weights as stored on all cores; every op runs"
                    + " through PyTorch now");
        }
    }

    /** Whether the Vector API module is in the boot layer ({@code --add-modules jdk.incubator.vector}). */
    public static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * The requested kernel, lower case: {@code auto} unless set.
     *
     * @throws IllegalArgumentException naming the property for any other value
     */
    public static String requested() {
        String v = System.getProperty(PROPERTY);
        if (v == null) {
            v = System.getenv("SPECDEC_KERNEL");
        }
        if (v == null || v.isBlank()) {
            return "auto";
        }
        String k = v.trim().toLowerCase(Locale.ROOT);
        if (!k.equals("auto") && !k.equals("torch") && !k.equals("vector")) {
            throw new IllegalArgumentException(PROPERTY + " must be auto, torch or vector, found '" + v + "'");
        }
        return k;
    }
}
