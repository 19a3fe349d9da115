package io.specdec.model;

import io.specdec.engine.SpecdecEngine;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HostThreads;
import io.specdec.tensor.WeightTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up of the host backend in bounded time, whatever the model's size:
 * <ul>
 *   <li><b>warm-up</b> once per JVM and storage type: a tiny synthetic model whose matrices have that type runs
 *       forwards at T = 1, 4 and 8 for about 150 ms, so the JIT has compiled the kernels (the Vector API is orders of
 *       magnitude slower interpreted) before the first real token — instead of minutes of warm-up on the real model;
 *   <li><b>threads</b>: the configured count ({@code --threads}, {@code SPECDEC_THREADS}), else measured: a few T = 1
 *       forwards of the real model on 1 thread and on every core, interleaved, keeping the faster (tiny models lose
 *       to the per-job synchronisation; large ones gain); skipped, all cores kept, once one forward takes over
 *       150 ms (a large model, where splitting always pays). At most ~1 s; the choice is remembered per model shape
 *       and storage types for the JVM's lifetime.
 * </ul>
 * Pools are shared by every model of the JVM (one per thread count). Thread-safe.
 */
final class HostSetup {
    private static final Logger LOG = LoggerFactory.getLogger(HostSetup.class);
    private static final Map<Integer, HostThreads> POOLS = new ConcurrentHashMap<>();
    private static final Set<GgmlType> WARM = ConcurrentHashMap.newKeySet();
    private static final Map<String, Integer> CHOSEN = new ConcurrentHashMap<>();

    private HostSetup() {}

    /** The shared pool of {@code n} threads. */
    static HostThreads pool(int n) {
        return POOLS.computeIfAbsent(n, HostThreads::new);
    }

    /** The pool for a new model: the configured thread count, else every available core (then {@link #tuned}). */
    static HostThreads pool() {
        int n = SpecdecEngine.hostThreads();
        return pool(n > 0 ? n : Runtime.getRuntime().availableProcessors());
    }

    /** Warms the kernels of every storage type in {@code t} that this JVM has not run yet. */
    static synchronized void warmUp(LlamaTensors t) {
        for (GgmlType type : t.types()) {
            if (WARM.add(type)) {
                long start = System.nanoTime();
                warm(type);
                LOG.debug("host kernels warmed up for {} in {} ms", type, (System.nanoTime() - start) / 1_000_000);
            }
        }
    }

    private static void warm(GgmlType type) {
        LlamaConfig c = new LlamaConfig(256, 512, 1, 4, 2, 64, 64, 64, 1e-5f, 10000f, true, false, -1, -1);
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        List<LlamaTensors.Layer> layers = new ArrayList<>();
        float[] ones = new float[c.dim()];
        java.util.Arrays.fill(ones, 1f);
        layers.add(new LlamaTensors.Layer(ones, random(type, c.qDim(), c.dim(), r), random(type, c.kvDim(), c.dim(), r),
                random(type, c.kvDim(), c.dim(), r), random(type, c.dim(), c.qDim(), r), ones,
                random(type, c.hiddenDim(), c.dim(), r), random(type, c.hiddenDim(), c.dim(), r),
                random(type, c.dim(), c.hiddenDim(), r), null, null, null));
        LlamaTensors t = new LlamaTensors(c, RopeLayout.INTERLEAVED, random(type, c.vocabSize(), c.dim(), r), layers,
                ones, null);
        HostForward f = new HostForward(t, pool(1));
        try (KvCache cache = new KvCache(null, c, c.contextLength(), true)) {
            long start = System.nanoTime();
            int[] sizes = {1, 1, 4, 1, 8};
            for (int i = 0; System.nanoTime() - start < 150_000_000L; i++) {
                int n = sizes[i % sizes.length];
                if (cache.remaining() < n) {
                    cache.clear();
                }
                int[] toks = new int[n];
                int[] pos = new int[n];
                for (int j = 0; j < n; j++) {
                    toks[j] = (i + j) % c.vocabSize();
                    pos[j] = cache.length() + j;
                }
                f.forward(null, cache, toks, null, pos, null, n == 1 ? ForwardOptions.LAST_ROW : ForwardOptions.DEFAULT,
                        c.layers()).close();
            }
        }
    }

    private static WeightTensor random(GgmlType type, int rows, int cols, java.util.SplittableRandom r) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() - 0.5) * 0.1f;
        }
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(v.length)).order(ByteOrder.LITTLE_ENDIAN);
        type.quantize(v, 0, v.length, b);
        b.flip();
        return new WeightTensor("warm-up " + type, type, rows, cols, b);
    }

    /**
     * {@code f} itself when the thread count was configured or its pool has one thread; otherwise the faster of
     * {@code f} and the same forward on one thread, measured as described in the class comment.
     */
    static HostForward tuned(HostForward f, LlamaConfig c) {
        if (SpecdecEngine.hostThreads() > 0 || f.threads() == 1) {
            return f;
        }
        String key = c + "|" + f.tensors().types() + "|" + f.threads();
        Integer known = CHOSEN.get(key);
        if (known != null) {
            return known == 1 ? new HostForward(f.tensors(), pool(1)) : f;
        }
        HostForward one = new HostForward(f.tensors(), pool(1));
        int cap = Math.min(c.contextLength(), 64);
        long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
        try (KvCache cache = new KvCache(null, c, cap, true)) {
            long start = System.nanoTime();
            for (int rep = 0; rep < 6; rep++) {
                for (int which = 0; which < 2; which++) {
                    HostForward use = which == 0 ? f : one;
                    if (cache.remaining() < 1) {
                        cache.clear();
                    }
                    long t0 = System.nanoTime();
                    use.forward(null, cache, new int[] {rep % c.vocabSize()}, null, new int[] {cache.length()}, null,
                            ForwardOptions.LAST_ROW, c.layers()).close();
                    long dt = System.nanoTime() - t0;
                    if (rep > 0) {
                        best[which] = Math.min(best[which], dt);
                    }
                    if (dt > 150_000_000L) {
                        CHOSEN.put(key, f.threads());
                        LOG.debug("one forward takes {} ms: keeping {} threads", dt / 1_000_000, f.threads());
                        return f;
                    }
                }
                if (System.nanoTime() - start > 1_000_000_000L) {
                    break;
                }
            }
        }
        int pick = best[0] <= best[1] ? f.threads() : 1;
        CHOSEN.put(key, pick);
        LOG.debug("threads: {} ({} threads {} us, 1 thread {} us per token)", pick, f.threads(), best[0] / 1000,
                best[1] / 1000);
        return pick == 1 ? one : f;
    }
}
