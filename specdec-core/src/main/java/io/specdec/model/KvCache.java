package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Preallocated key/value cache of one sequence: per layer two device arrays {@code [capacity, kvHeads, headDim]}
 * (float32; keys stored after RoPE) and one committed {@link #length()}. A forward writes its T tokens at slots
 * {@code [length, length+T)}; {@link #truncate} drops a suffix (rejected chain tokens are simply overwritten later);
 * {@link #commit} keeps an accepted tree path by gathering its slots to contiguous positions. No concatenation per
 * step. The host form ({@code vector} kernel) keeps the same layout in Java arrays. Owns native memory: close it.
 * Not thread-safe.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;
    private final java.util.concurrent.atomic.AtomicReference<Thread> user = new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Marks the cache in use by the calling thread for one forward; a second thread using it at the same time gets
     * a clear error instead of corrupted keys and values.
     *
     * @throws IllegalStateException if another thread is using the cache
     */
    void acquire() {
        Thread me = Thread.currentThread();
        if (!user.compareAndSet(null, me) && user.get() != me) {
            throw new IllegalStateException("KV cache used by two threads at once (" + user.get().getName() + " and "
                    + me.getName() + "): a cache, a verifier and a drafter serve one request at a time");
        }
    }

    /** Ends {@link #acquire()}. */
    void release() {
        user.compareAndSet(Thread.currentThread(), null);
    }

    private final float[][] hostKeys;   // host form: per layer [capacity * kvDim], or null
    private final float[][] hostValues;
    private final int kvDim;

    KvCache(NDManager parent, LlamaConfig c, int capacity) {
        this(parent, c, capacity, false);
    }

    /**
     * @param host keep K/V in Java arrays of the same layout instead of device arrays (the {@code vector} kernel,
     *     whose attention runs on the host)
     */
    KvCache(NDManager parent, LlamaConfig c, int capacity, boolean host) {
        if (capacity <= 0 || capacity > c.contextLength()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " must be in 1.." + c.contextLength()
                    + " (the model's context length)");
        }
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.keys = new NDArray[c.layers()];
        this.values = new NDArray[c.layers()];
        if (host) {
            MemoryCheck.checkHeap("a KV cache of " + capacity + " positions (" + c.layers() + " layers x 2 x "
                    + kvDim + " floats per position)", 8L * c.layers() * capacity * kvDim);
            this.manager = null;
            hostKeys = new float[c.layers()][Math.multiplyExact(capacity, kvDim)];
            hostValues = new float[c.layers()][capacity * kvDim];
            return;
        }
        hostKeys = null;
        hostValues = null;
        this.manager = parent.newSubManager();
        Shape s = new Shape(capacity, c.kvHeads(), c.headDim());
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = manager.zeros(s, DataType.FLOAT32);
            values[l] = manager.zeros(s, DataType.FLOAT32);
        }
    }

    /** Whether K/V live in host arrays (the {@code vector} kernel). */
    boolean isHost() {
        return hostKeys != null;
    }

    /** Host keys of layer {@code l}, {@code [capacity, kvHeads, headDim]} row-major (host form only). */
    float[] hostKeys(int l) {
        return hostKeys[l];
    }

    float[] hostValues(int l) {
        return hostValues[l];
    }

    /** Committed positions. */
    public int length() {
        return length;
    }

    /** Maximum positions. */
    public int capacity() {
        return capacity;
    }

    /** Room left. */
    public int remaining() {
        return capacity - length;
    }

    /** Drops everything after the first {@code n} positions. */
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("truncate(" + n + ") outside 0.." + length);
        }
        length = n;
    }

    /**
     * Sets the length back to {@code n} positions whose keys and values the caller knows are still in the slots
     * (a conversation's retained prefix, after {@link #truncate} hid them).
     */
    void restore(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("restore(" + n + ") outside 0.." + capacity);
        }
        length = n;
    }

    private boolean pinned;

    /** While pinned, {@link #close()} keeps the memory (an owner that outlives one generation frees it later). */
    void pin(boolean on) {
        pinned = on;
    }

    /** Empties the cache (keeps the allocation). */
    public void clear() {
        length = 0;
    }

    /**
     * Keeps the tree nodes {@code nodeIndices} (indices among the tokens written after {@code prefixLen}, in path
     * order) by moving their K/V to slots {@code prefixLen, prefixLen+1, ...}, and sets the length to
     * {@code prefixLen + nodeIndices.length}. A chain commit ({@code 0,1,..,n-1}) moves nothing.
     */
    public void commit(int prefixLen, int[] nodeIndices) {
        if (prefixLen < 0 || prefixLen > length) {
            throw new IllegalArgumentException("commit prefix " + prefixLen + " outside 0.." + length);
        }
        boolean identity = true;
        long[] src = new long[nodeIndices.length];
        for (int i = 0; i < nodeIndices.length; i++) {
            int n = nodeIndices[i];
            if (n < 0 || prefixLen + n >= length) {
                throw new IllegalArgumentException("commit node " + n + " was never written (cache length " + length
                        + ", prefix " + prefixLen + ")");
            }
            identity &= n == i;
            src[i] = prefixLen + n;
        }
        if (!identity && hostKeys != null) {
            for (int l = 0; l < hostKeys.length; l++) {
                gather(hostKeys[l], src, prefixLen);
                gather(hostValues[l], src, prefixLen);
            }
        } else if (!identity) {
            try (NDManager m = manager.newSubManager()) {
                NDArray idx = m.create(src);
                NDIndex dst = new NDIndex().addSliceDim(prefixLen, prefixLen + nodeIndices.length);
                for (int l = 0; l < keys.length; l++) {
                    NDArray k = keys[l].get(m, new NDIndex("{}", idx)); // copy: gather before overwrite
                    NDArray v = values[l].get(m, new NDIndex("{}", idx));
                    keys[l].set(dst, k);
                    values[l].set(dst, v);
                }
            }
        }
        length = prefixLen + nodeIndices.length;
    }

    /** Moves slots {@code src[i]} to {@code dst0 + i} (through a copy: gather before overwrite). */
    private void gather(float[] a, long[] src, int dst0) {
        float[] rows = new float[src.length * kvDim];
        for (int i = 0; i < src.length; i++) {
            System.arraycopy(a, (int) src[i] * kvDim, rows, i * kvDim, kvDim);
        }
        System.arraycopy(rows, 0, a, dst0 * kvDim, rows.length);
    }

    /** Device keys of layer {@code l}, {@code [capacity, kvHeads, headDim]} (runtime use). */
    NDArray keys(int l) {
        return keys[l];
    }

    NDArray values(int l) {
        return values[l];
    }

    void advance(int t) {
        length += t;
    }

    /** Host copy of layer {@code l}'s committed keys {@code [length, kvHeads, headDim]} (tests, debugging). */
    public float[] keysOf(int l) {
        return hostKeys != null ? java.util.Arrays.copyOf(hostKeys[l], length * kvDim) : copyOut(keys[l]);
    }

    /** Host copy of layer {@code l}'s committed values {@code [length, kvHeads, headDim]}. */
    public float[] valuesOf(int l) {
        return hostValues != null ? java.util.Arrays.copyOf(hostValues[l], length * kvDim) : copyOut(values[l]);
    }

    private float[] copyOut(NDArray a) {
        if (length == 0) {
            return new float[0];
        }
        try (NDManager m = manager.newSubManager()) {
            return a.get(m, new NDIndex().addSliceDim(0, length)).toFloatArray();
        }
    }

    /**
     * Bytes a cache of {@code capacity} positions for a model of config {@code c} holds: keys and values, F32,
     * {@code 2 · layers · capacity · kvDim · 4}.
     */
    public static long bytes(LlamaConfig c, int capacity) {
        return 2L * c.layers() * capacity * c.kvDim() * 4;
    }

    /** Bytes of memory held (native for the device form, Java heap for the host form). */
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * 4;
    }

    @Override
    public void close() {
        if (pinned || !released.compareAndSet(false, true)) {
            return;
        }
        if (manager != null) {
            manager.close();
        }
        if (onRelease != null) {
            onRelease.run();
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    private Runnable onRelease;

    /** Whether {@link #close()} has freed this cache. */
    public boolean isClosed() {
        return released.get();
    }

    /** Runs {@code r} once when this cache is closed (the model's count of live cache memory). */
    void onRelease(Runnable r) {
        this.onRelease = r;
    }
}
