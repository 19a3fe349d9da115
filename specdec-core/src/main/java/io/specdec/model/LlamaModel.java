package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.specdec.engine.SpecdecEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Llama-family model ready to run: RMSNorm, RoPE, grouped-query attention over a {@link KvCache}, SwiGLU, tied or
 * separate LM head, optional q/k/v bias (Qwen2). The forward is written once ({@link LlamaForward} over
 * {@link LlamaOps}); this class validates a forward's arguments, runs it on the backend chosen once at construction
 * and packages its outputs. Backends ({@link Kernels}): the host backend ({@link HostForward}, the default on a CPU
 * with the Vector API) computes on the weights in their storage format, memory-mapped; the torch backend
 * ({@link TorchForward}, the only one on a GPU) uploads them once, as float16 on a GPU. Only the chosen backend's
 * weights are materialised.
 *
 * <p>Native memory: torch weights live in this model's manager; every torch forward runs in its own sub-manager,
 * closed before it returns, so nothing but the cache's K/V outlives a step. Thread safety: forwards on different
 * caches may run concurrently; a cache must not be used by two threads at once.
 */
public final class LlamaModel implements CausalLM {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    static {
        SpecdecEngine.configure();
    }

    private final LlamaConfig c;
    private final NDManager manager;
    private final TorchForward torch;  // the torch backend, or null when the host backend runs
    private final HostForward vector; // the host backend, or null when the torch kernel runs
    private final AutoCloseable mapping; // keeps the file's mapping alive while the host backend reads it
    private final String kernel;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    /**
     * Builds the model from widened weights on a new manager on the default device, with the kernel named by
     * {@link Kernels#requested()} (host on a CPU where the Vector API is present, else torch).
     */
    public LlamaModel(LlamaWeights weights) {
        this(weights, SpecdecEngine.newManager());
    }

    /** Builds the model from widened weights into {@code manager}, which this model then owns and closes. */
    public LlamaModel(LlamaWeights weights, NDManager manager) {
        this(weights, manager, Kernels.requested());
    }

    /**
     * Builds the model from widened weights on a new manager with an explicit kernel: {@code auto}, {@code torch} or
     * {@code vector} ({@link Kernels}).
     *
     * @throws IllegalArgumentException for an unknown kernel, or {@code vector} where it cannot run
     */
    public LlamaModel(LlamaWeights weights, String kernel) {
        this(weights, SpecdecEngine.newManager(), kernel);
    }

    private LlamaModel(LlamaWeights weights, NDManager manager, String requestedKernel) {
        this(LlamaTensors.of(weights), null, manager, requestedKernel);
    }

    /**
     * Builds the model on weights in their storage format (a loaded file's {@code LoadedModel.tensors()}): the host
     * backend computes on them where it runs (nothing is copied or widened; {@code mapping}, a reference on the
     * file's mapping, is closed with this model); the torch backend uploads them once (float16 on a GPU) and releases
     * the mapping.
     *
     * @param mapping released when this model closes, or once the torch backend has uploaded (may be null)
     * @param kernel {@code auto}, {@code torch} or {@code vector}
     */
    public LlamaModel(LlamaTensors tensors, AutoCloseable mapping, String kernel) {
        this(tensors, mapping, SpecdecEngine.newManager(), kernel);
    }

    private LlamaModel(LlamaTensors tensors, AutoCloseable mapping, NDManager manager, String requestedKernel) {
        String req = requestedKernel;
        if (!req.equals("auto") && !req.equals("torch") && !req.equals("vector")) {
            manager.close();
            closeQuietly(mapping);
            throw new IllegalArgumentException("kernel must be auto, torch or vector, found '" + req + "'");
        }
        this.manager = manager;
        boolean cpu = "cpu".equals(manager.getDevice().getDeviceType());
        boolean host = cpu && Kernels.vectorAvailable() && !req.equals("torch");
        if (cpu && req.equals("auto") && !Kernels.vectorAvailable()) {
            Kernels.noteMissingModule();
        }
        if (req.equals("vector") && !host) {
            manager.close();
            closeQuietly(mapping);
            throw new IllegalArgumentException(Kernels.PROPERTY + "=vector needs a CPU device (found "
                    + manager.getDevice() + ") and the JVM option --add-modules jdk.incubator.vector (module "
                    + (Kernels.vectorAvailable() ? "present" : "absent") + ")");
        }
        this.c = tensors.config();
        try {
            if (host) {
                MemoryCheck.checkWeights("the model", tensors.bytes());
                HostForward hf = new HostForward(tensors, HostSetup.pool());
                HostSetup.warmUp(tensors);
                this.vector = HostSetup.tuned(hf, c);
                this.torch = null;
                this.mapping = mapping;
                this.kernel = "vector";
            } else {
                if (cpu) {
                    long params = c.parameterCount();
                    MemoryCheck.checkWeights("the torch backend's float32 copy of " + String.format(
                            java.util.Locale.ROOT, "%,d", params) + " parameters", 4 * params);
                }
                this.vector = null;
                this.torch = TorchForward.upload(tensors, manager);
                closeQuietly(mapping);
                this.mapping = null;
                this.kernel = "torch";
            }
        } catch (RuntimeException | Error e) {
            manager.close();
            closeQuietly(mapping);
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing a mapping reference failed", e);
        }
    }

    /** Host threads the forwards use (1 on the torch backend, which uses PyTorch's intra-op threads). */
    public int threads() {
        return vector == null ? 1 : vector.threads();
    }

    @Override
    public String costKey() {
        if (vector == null) {
            return kernel;
        }
        StringBuilder types = new StringBuilder();
        for (io.specdec.tensor.GgmlType t : vector.tensors().types()) {
            types.append('-').append(t.name().toLowerCase(java.util.Locale.ROOT));
        }
        return kernel + "-" + vector.threads() + "ht" + types;
    }

    /** Bytes of the weights as the running backend holds them (as stored for the host backend). */
    public long weightBytes() {
        if (vector != null) {
            return vector.tensors().bytes();
        }
        return torch.bytes();
    }

    private void enter() {
        inFlight.incrementAndGet();
        if (closed) {
            inFlight.decrementAndGet();
            throw new IllegalStateException("model closed: no forward can run on it");
        }
    }

    private void exit() {
        inFlight.decrementAndGet();
    }

    /** The kernel running this model's forwards: {@code torch} or {@code vector} (see {@link Kernels}). */
    @Override
    public String kernel() {
        return kernel;
    }

    @Override
    public LlamaConfig config() {
        return c;
    }

    @Override
    public KvCache newCache(int capacity) {
        KvCache k = new KvCache(manager, c, capacity, vector != null);
        long b = k.bytes();
        liveCacheBytes.addAndGet(b);
        k.onRelease(() -> liveCacheBytes.addAndGet(-b));
        return k;
    }

    private final java.util.concurrent.atomic.AtomicLong liveCacheBytes = new java.util.concurrent.atomic.AtomicLong();

    /** Bytes of this model's KV caches not yet closed (what its running generations hold; a server's gauge). */
    public long liveCacheBytes() {
        return liveCacheBytes.get();
    }

    @Override
    public ForwardResult forward(KvCache cache, int[] tokens, int[] positions, AttentionMask mask,
            ForwardOptions options) {
        return forwardWith(vector, cache, tokens, positions, mask, options);
    }

    /**
     * Like {@link #forward(KvCache, int[], int[], AttentionMask, ForwardOptions)} but the decoder's input rows are
     * given instead of looked up: {@code inputs} is {@code [T, dim]} row-major, T = {@code positions.length}. A
     * feature drafter (EAGLE) feeds its fused feature-and-token rows through the decoder layers this way; everything
     * after the embedding lookup (both kernels, the cache, masks, outputs) is the token forward's.
     *
     * @throws IllegalArgumentException when {@code inputs} does not hold {@code T x dim} values, or as the token
     *     forward
     */
    public ForwardResult forwardEmbeddings(KvCache cache, float[] inputs, int[] positions, AttentionMask mask,
            ForwardOptions options) {
        if (inputs == null || inputs.length != (long) positions.length * c.dim()) {
            throw new IllegalArgumentException("input rows hold " + (inputs == null ? 0 : inputs.length)
                    + " values, expected " + positions.length + " x " + c.dim());
        }
        return forwardWith(vector, cache, null, inputs, positions, mask, options);
    }

    private ForwardResult forwardWith(HostForward vf, KvCache cache, int[] tokens, int[] positions,
            AttentionMask mask, ForwardOptions options) {
        return forwardWith(vf, cache, tokens, null, positions, mask, options);
    }

    private ForwardResult forwardWith(HostForward vf, KvCache cache, int[] tokens, float[] inputs, int[] positions,
            AttentionMask mask, ForwardOptions options) {
        enter();
        try {
            return checkedForward(vf, cache, tokens, inputs, positions, mask, options);
        } finally {
            exit();
        }
    }

    /**
     * One sequence's part of a {@link #forwardBatch batched forward}: its cache (distinct from the other items'),
     * its new rows as token ids or as input rows ({@code inputs} {@code [T, dim]}, then {@code tokens} is null), their
     * positions, the tree mask (null: causal) and what to return. Arrays are not copied.
     */
    public record BatchItem(KvCache cache, int[] tokens, float[] inputs, int[] positions, AttentionMask mask,
            ForwardOptions options) {
        /** A token item. */
        public static BatchItem of(KvCache cache, int[] tokens, int[] positions, AttentionMask mask,
                ForwardOptions options) {
            return new BatchItem(cache, tokens, null, positions, mask, options);
        }
    }

    /**
     * One forward over the new rows of several sequences, each with its own KV cache — what continuous batching runs
     * each round: on the vector kernel every weight is read once for all the rows and attention runs per sequence
     * over its own cache; each item's result (and cache) is bitwise what {@link #forward} of that item alone gives.
     * The torch kernel runs the items one after another (same results, no batching yet). Items must share the exit
     * layer and hidden layers asked for (the forward runs the same layers for all); caches must be distinct.
     *
     * @return one result per item, in order; the caller closes each
     * @throws IllegalArgumentException (one line, naming the item) as {@link #forward} for any item, for a cache
     *     given twice, or for items asking for different layers
     */
    public List<ForwardResult> forwardBatch(List<BatchItem> items) {
        if (items == null || items.isEmpty()) {
            throw new IllegalArgumentException("a batched forward needs at least one item");
        }
        enter();
        try {
            java.util.Set<KvCache> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            int exit = -1;
            for (int i = 0; i < items.size(); i++) {
                BatchItem it = items.get(i);
                int e;
                try {
                    e = validate(vector, it.cache(), it.tokens(), it.inputs(), it.positions(), it.mask(), it.options());
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException("batch item " + i + ": " + ex.getMessage(), ex);
                }
                if (!seen.add(it.cache())) {
                    throw new IllegalArgumentException("batch item " + i + ": its cache is already in the batch");
                }
                if (i > 0 && (e != exit || !Arrays.equals(it.options().hiddenLayers(),
                        items.get(0).options().hiddenLayers()))) {
                    throw new IllegalArgumentException("batch item " + i + " asks for other layers (exit " + e
                            + ", hidden " + Arrays.toString(it.options().hiddenLayers()) + ") than item 0 (exit "
                            + exit + ", hidden " + Arrays.toString(items.get(0).options().hiddenLayers()) + ")");
                }
                exit = e;
            }
            if (vector == null) {
                List<ForwardResult> out = new ArrayList<>(items.size());
                try {
                    for (BatchItem it : items) {
                        out.add(checkedForward(null, it.cache(), it.tokens(), it.inputs(), it.positions(), it.mask(),
                                it.options()));
                    }
                } catch (RuntimeException ex) {
                    out.forEach(ForwardResult::close);
                    throw ex;
                }
                return out;
            }
            int held = 0;
            try {
                for (BatchItem it : items) {
                    it.cache().acquire();
                    held++;
                }
                return vector.forwardBatch(manager, items, exit);
            } finally {
                for (int i = 0; i < held; i++) {
                    items.get(i).cache().release();
                }
            }
        } finally {
            exit();
        }
    }

    /** Checks one forward's arguments against the model and the cache; returns the exit layer. */
    private int validate(HostForward vf, KvCache cache, int[] tokens, float[] inputs, int[] positions,
            AttentionMask mask, ForwardOptions options) {
        int t = inputs != null ? positions.length : tokens.length;
        if (t == 0) {
            throw new IllegalArgumentException("forward needs at least one token");
        }
        if (positions.length != t) {
            throw new IllegalArgumentException(t + " tokens but " + positions.length + " positions");
        }
        if (mask != null && mask.size() != t) {
            throw new IllegalArgumentException("mask covers " + mask.size() + " tokens, forward has " + t);
        }
        if (mask != null && mask.history() > cache.length()) {
            throw new IllegalArgumentException("mask covers " + mask.history() + " cached slots, the cache holds "
                    + cache.length());
        }
        if (t > cache.remaining()) {
            throw new IllegalArgumentException("cache full: " + t + " new tokens, " + cache.remaining() + " of "
                    + cache.capacity() + " slots left");
        }
        for (int i = 0; i < t; i++) {
            if (tokens != null && (tokens[i] < 0 || tokens[i] >= c.vocabSize())) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside vocabulary 0.."
                        + (c.vocabSize() - 1));
            }
            if (positions[i] < 0 || positions[i] >= c.contextLength()) {
                throw new IllegalArgumentException("position " + positions[i] + " outside the context of "
                        + c.contextLength());
            }
        }
        int exit = options.exitLayer() < 0 ? c.layers() : options.exitLayer();
        if (exit < 1 || exit > c.layers()) {
            throw new IllegalArgumentException("exit layer " + exit + " outside 1.." + c.layers());
        }
        for (int hl : options.hiddenLayers()) {
            if (hl < 1 || hl > exit) {
                throw new IllegalArgumentException("hidden layer " + hl + " outside 1.." + exit);
            }
        }
        if (cache.isHost() != (vf != null)) {
            throw new IllegalArgumentException("the cache was made for the " + (cache.isHost() ? "vector" : "torch")
                    + " kernel, this forward runs the " + (vf != null ? "vector" : "torch") + " kernel: use the"
                    + " model's own newCache");
        }
        return exit;
    }

    private ForwardResult checkedForward(HostForward vf, KvCache cache, int[] tokens, float[] inputs, int[] positions,
            AttentionMask mask, ForwardOptions options) {
        int exit = validate(vf, cache, tokens, inputs, positions, mask, options);
        int t = inputs != null ? positions.length : tokens.length;
        int[] hiddenLayers = options.hiddenLayers();
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) {
            ids[i] = tokens == null ? 0 : tokens[i];
        }
        if (vf != null) {
            cache.acquire();
            try {
                return vf.forward(manager, cache, tokens, inputs, positions, mask, options, exit);
            } finally {
                cache.release();
            }
        }
        NDManager out = manager.newSubManager(); // the outputs; handed to a device result or closed here
        boolean handedOver = false;
        try (NDManager m = manager.newSubManager()) {
            cache.acquire();
            LlamaOps<NDArray> ops = torch.inference(m, cache, positions, mask);
            NDArray x = inputs != null ? m.create(inputs, new Shape(t, c.dim())) : torch.embed(m, m.create(ids));
            List<NDArray> kept = new ArrayList<>(Collections.nCopies(hiddenLayers.length, (NDArray) null));
            x = LlamaForward.layers(ops, x, exit, hiddenLayers, kept);
            cache.advance(t);
            NDArray[] layerHidden = kept.toArray(new NDArray[0]);
            for (NDArray h : layerHidden) {
                h.attach(out);
            }
            NDArray hf = LlamaForward.finalNorm(ops, x);                                               // [T, D]
            NDArray lastHidden = null;
            if (options.lastHidden()) {
                lastHidden = hf;
                lastHidden.attach(out);
            }
            int rows = t;
            NDArray head = hf;
            if (options.logitRows() == 1 && t > 1) {
                head = hf.get(m, new NDIndex().addSliceDim(t - 1, t));
                rows = 1;
            }
            if (options.deviceOutputs()) {
                if (head != lastHidden) {
                    head.attach(out);
                }
                handedOver = true;
                return ForwardResult.ofDevice(rows, t, c.vocabSize(), c.dim(), out, head,
                        x0 -> LlamaForward.lmHead(torch.inference(x0.getManager(), null, new int[0], null), x0),
                        lastHidden, layerHidden);
            }
            NDArray logits = LlamaForward.lmHead(ops, head);                                          // [rows, V]
            float[][] layers = new float[layerHidden.length][];
            for (int k = 0; k < layers.length; k++) {
                layers[k] = layerHidden[k].toFloatArray();
            }
            return ForwardResult.ofHost(rows, c.vocabSize(), c.dim(), logits.toFloatArray(),
                    lastHidden == null ? null : lastHidden.toFloatArray(), layers);
        } finally {
            cache.release();
            if (!handedOver) {
                out.close();
            }
        }
    }

    /**
     * Applies the final norm and LM head to hidden states {@code [T, D]} taken after some layer (DEL's shadow
     * tokens, early-exit drafting). Returns logits {@code [T, V]}.
     */
    @Override
    public float[] logitsFromHidden(float[] hidden, int t) {
        if (hidden.length != (long) t * c.dim()) {
            throw new IllegalArgumentException("hidden states hold " + hidden.length + " floats, expected " + t
                    + " x " + c.dim());
        }
        enter();
        try {
            if (vector != null) {
                return vector.lmHead(vector.finalNorm(hidden, t), t);
            }
            try (NDManager m = manager.newSubManager()) {
                LlamaOps<NDArray> ops = torch.inference(m, null, new int[0], null);
                return LlamaForward.lmHead(ops, LlamaForward.finalNorm(ops, m.create(hidden, new Shape(t, c.dim()))))
                        .toFloatArray();
            }
        } finally {
            exit();
        }
    }

    @Override
    public NDArray embed(NDManager m, int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < ids.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside vocabulary 0.."
                        + (c.vocabSize() - 1));
            }
            ids[i] = tokens[i];
        }
        if (vector != null) {
            return m.create(vector.embedRows(tokens), new Shape(tokens.length, c.dim()));
        }
        return torch.embed(m, m.create(ids));
    }

    @Override
    public NDArray finalNorm(NDArray hidden) {
        checkWidth(hidden);
        if (vector != null) {
            int rows = Math.toIntExact(hidden.getShape().size() / c.dim());
            float[] out = vector.finalNorm(hidden.toFloatArray(), rows);
            return hidden.getManager().create(out, hidden.getShape());
        }
        return LlamaForward.finalNorm(torch.inference(hidden.getManager(), null, new int[0], null), hidden);
    }

    @Override
    public NDArray lmHead(NDArray normed) {
        checkWidth(normed);
        if (vector != null) {
            Shape sh = normed.getShape();
            int rows = Math.toIntExact(sh.size() / c.dim());
            float[] out;
            enter();
            try {
                out = vector.lmHead(normed.toFloatArray(), rows);
            } finally {
                exit();
            }
            long[] dims = sh.getShape().clone();
            dims[dims.length - 1] = c.vocabSize();
            return normed.getManager().create(out, new Shape(dims));
        }
        return LlamaForward.lmHead(torch.inference(normed.getManager(), null, new int[0], null), normed);
    }

    private void checkWidth(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() == 0 || s.get(s.dimension() - 1) != c.dim()) {
            throw new IllegalArgumentException("hidden states of shape " + s + ", expected [..., " + c.dim() + "]");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // let forwards that already started finish before the weights go away (bounded: 30 s)
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
        if (inFlight.get() > 0) {
            LOG.warn("closing a model with {} forwards still running after 30 s: its memory is left to the garbage"
                    + " collector", inFlight.get());
            return;
        }
        closeQuietly(mapping);
        manager.close();
    }
}
