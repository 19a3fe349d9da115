package io.specdec.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * "Fit or say so": before a model or a cache allocates, what it needs is compared with what the machine has, and a
 * model that cannot fit gets a one-line error naming both figures instead of an {@code OutOfMemoryError} (or a
 * machine paging a memory-mapped file it cannot hold). Physical memory is {@code MemAvailable} of
 * {@code /proc/meminfo} (page cache counts as available: a mapped file already cached is reclaimable), else the
 * JVM's view of free physical memory; heap is {@code Runtime.maxMemory()} minus what is in use. Thread-safe.
 */
public final class MemoryCheck {
    private MemoryCheck() {}

    /** Bytes of physical memory available to a new allocation, or -1 when unknown. */
    public static long availablePhysical() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] p = line.trim().split("\\s+");
                    return Long.parseLong(p[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getFreeMemorySize();
        }
        return -1;
    }

    /** Bytes of Java heap a new allocation can still get. */
    public static long freeHeap() {
        Runtime r = Runtime.getRuntime();
        return r.maxMemory() - (r.totalMemory() - r.freeMemory());
    }

    /**
     * Throws when {@code weightBytes} (as stored, memory-mapped) exceed the available physical memory.
     *
     * @param what the model, for the message
     */
    static void checkWeights(String what, long weightBytes) {
        long avail = availablePhysical();
        if (avail > 0 && weightBytes > avail) {
            throw new IllegalArgumentException(what + " needs " + mb(weightBytes) + " MB for its weights as stored"
                    + " but the machine has " + mb(avail) + " MB of memory available");
        }
    }

    /** Throws when a widened (float32, Java heap) copy of {@code params} parameters cannot fit the heap. */
    static void checkHeap(String what, long bytes) {
        long free = freeHeap();
        if (bytes > free) {
            throw new IllegalArgumentException(what + " needs " + mb(bytes) + " MB of Java heap but " + mb(free)
                    + " MB are free (-Xmx " + mb(Runtime.getRuntime().maxMemory()) + " MB)");
        }
    }

    static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%,d", bytes >> 20);
    }
}
