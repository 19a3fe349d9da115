package io.specdec.io;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases a memory mapping (or a direct buffer) now instead of when the garbage collector finds it unreachable,
 * through {@code sun.misc.Unsafe.invokeCleaner} (module {@code jdk.unsupported}, present in every JDK since 9). Where
 * that is unavailable the buffer is left to the collector. The caller guarantees nobody reads the buffer afterwards.
 */
final class Unmapper {
    private static final Object UNSAFE;
    private static final Method CLEANER;

    static {
        Object u = null;
        Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            u = null;
            m = null;
        }
        UNSAFE = u;
        CLEANER = m;
    }

    private Unmapper() {}

    static void unmap(ByteBuffer b) {
        if (CLEANER == null || b == null || !b.isDirect()) {
            return;
        }
        try {
            CLEANER.invoke(UNSAFE, b);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the garbage collector
        }
    }
}
