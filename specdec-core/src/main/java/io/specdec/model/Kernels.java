package io.specdec.model;

import java.util.Locale;

/**
 * Which kernels run the decoder's projections and element-wise work on the CPU:
 * <ul>
 *   <li>{@code torch}: every op through DJL/PyTorch ({@code linear} on MKL/oneDNN) — the only choice on a GPU;
 *   <li>{@code vector}: norms, projections, RoPE, SwiGLU and the LM head on the host with the JDK Vector API
 *       ({@link VectorMatmul}: the weight is read once per call whatever the row count), attention and the KV cache
 *       through DJL. Needs {@code --add-modules jdk.incubator.vector} on the JVM command line;
 *   <li>{@code auto} (default): {@code vector} where it is available and measured faster on this machine for this
 *       model at load ({@link LlamaModel}), else {@code torch}.
 * </ul>
 * Set with the system property {@value #PROPERTY} or the environment variable {@code SPECDEC_KERNEL}. Thread-safe.
 */
public final class Kernels {
    /** System property naming the kernel: {@code auto}, {@code torch} or {@code vector}. */
    public static final String PROPERTY = "specdec.kernel";
    private static final String MODULE = "jdk.incubator.vector";

    private Kernels() {}

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
