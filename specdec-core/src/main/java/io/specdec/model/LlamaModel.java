package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.specdec.engine.SpecdecEngine;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Llama-family decoder on DJL NDArrays: RMSNorm, RoPE, grouped-query attention over a {@link KvCache}, SwiGLU,
 * tied or separate LM head, optional q/k/v bias (Qwen2). One implementation for every checkpoint format; loaders hand
 * it {@link LlamaWeights} in the half-split RoPE layout.
 *
 * <p>Load-time rewrites that keep the function and cut per-token native calls (each op costs ~1–2 µs on this stack):
 * <ul>
 *   <li>the attention-norm weight is folded into the q/k/v columns, the FFN-norm weight into the gate/up columns;
 *   <li>q, k and v come out of one fused matmul, with {@code 1/sqrt(headDim)} folded into q. RoPE has two exact
 *       forms, chosen by size: for small models ({@code (qDim+kvDim)·dim <= 65536}) {@code rotate_half(q)} and
 *       {@code rotate_half(k)} are extra rows of the fused matmul ({@code rotate_half} is a signed row permutation)
 *       and RoPE is {@code [q,k]·cos + [rq,rk]·sin} — fewer native ops, which dominate tiny models (stories260K: 850
 *       vs 980 µs per token measured); for larger models, where the extra rows would cost memory bandwidth, RoPE is
 *       {@code x·cos + flip_halves(x)·(±sin)} on the q/k output (random 27M: 12.5 vs 12.9 ms per token). Both use
 *       one cos/sin table gathered once per forward;
 *   <li>gate and up projections are one matmul.
 * </ul>
 * Shapes: cache {@code [capacity, kvHeads, headDim]}; attention runs as {@code [kvHeads, group·T, headDim]} batched
 * matmuls so GQA needs no key/value repetition.
 *
 * <p>Native memory: weights live in this model's manager; every forward runs in its own sub-manager, closed before
 * it returns, so nothing but the cache's K/V outlives a step. Thread safety: forwards on different caches may run
 * concurrently; a cache must not be used by two threads at once.
 */
public final class LlamaModel implements CausalLM {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    static {
        SpecdecEngine.configure();
    }

    private final LlamaConfig c;
    private final NDManager manager;
    // torch backend (null when the host backend runs)
    private NDArray embedding;   // [V, D]
    private NDArray lmHead;      // [V, D]
    private NDArray finalNorm;   // [D]
    private NDArray eps;         // scalar dim*rmsEps: tensor operands avoid a scalar-tensor allocation per op
    private NDArray minusHalf;   // scalar -0.5
    private NDArray rope;        // [context, 2*headDim]: cos | sin per position (half-split pairing)
    private boolean fusedRope;   // rotate_half folded into the q/k weights (small models)
    private NDArray[] wqkv;      // fused: [2(qd+kd)+kd, D] = q,k,rq,rk,v; else [qd+2kd, D] = q,k,v
    private NDArray[] bqkv;      // matching bias or null
    private NDArray[] wo;        // [D, qd]
    private NDArray[] wgu;       // [2H, D]
    private NDArray[] wdown;     // [D, H]
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
        this(null, () -> weights, null, manager, requestedKernel);
    }

    /**
     * Builds the model on weights in their storage format (a loaded file's {@code LoadedModel.tensors()}): the host
     * backend computes on them where it runs (nothing is copied or widened; {@code mapping}, a reference on the
     * file's mapping, is closed with this model); otherwise the torch backend uploads {@code widened.get()}.
     *
     * @param widened the float32 weights, asked for only if the torch backend runs
     * @param mapping released when this model closes (may be null)
     * @param kernel {@code auto}, {@code torch} or {@code vector}
     */
    public LlamaModel(LlamaTensors tensors, java.util.function.Supplier<LlamaWeights> widened, AutoCloseable mapping,
            String kernel) {
        this(tensors, widened, mapping, SpecdecEngine.newManager(), kernel);
    }

    private LlamaModel(LlamaTensors tensors, java.util.function.Supplier<LlamaWeights> widened, AutoCloseable mapping,
            NDManager manager, String requestedKernel) {
        String req = requestedKernel;
        if (!req.equals("auto") && !req.equals("torch") && !req.equals("vector")) {
            manager.close();
            closeQuietly(mapping);
            throw new IllegalArgumentException("kernel must be auto, torch or vector, found '" + req + "'");
        }
        this.manager = manager;
        boolean cpu = "cpu".equals(manager.getDevice().getDeviceType());
        boolean host = cpu && Kernels.vectorAvailable() && !req.equals("torch");
        if (req.equals("vector") && !host) {
            manager.close();
            closeQuietly(mapping);
            throw new IllegalArgumentException(Kernels.PROPERTY + "=vector needs a CPU device (found "
                    + manager.getDevice() + ") and the JVM option --add-modules jdk.incubator.vector (module "
                    + (Kernels.vectorAvailable() ? "present" : "absent") + ")");
        }
        try {
            if (host) {
                if (tensors != null) {
                    MemoryCheck.checkWeights("the model", tensors.bytes());
                }
                LlamaTensors t = tensors != null ? tensors : LlamaTensors.of(widened.get());
                this.c = t.config();
                HostForward hf = new HostForward(t, HostSetup.pool());
                HostSetup.warmUp(t);
                this.vector = HostSetup.tuned(hf, c);
                this.mapping = mapping;
                this.kernel = "vector";
            } else {
                closeQuietly(mapping);
                this.mapping = null;
                if (tensors != null) {
                    long params = tensors.config().parameterCount();
                    MemoryCheck.checkHeap("the torch backend's float32 copy of " + String.format(java.util.Locale.ROOT,
                            "%,d", params) + " parameters", 8 * params);
                }
                LlamaWeights w = widened.get().toHalfSplit();
                this.c = w.config();
                this.vector = null;
                this.kernel = "torch";
                uploadTorch(w);
            }
        } catch (RuntimeException | Error e) {
            manager.close();
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

    /** The torch backend's weights: uploaded to this model's manager with the load-time rewrites of the class comment. */
    private void uploadTorch(LlamaWeights w) {
        int d = c.dim();
        int qd = c.qDim();
        int kd = c.kvDim();
        int h = c.hiddenDim();
        int nl = c.layers();
        embedding = manager.create(w.embedding(), new Shape(c.vocabSize(), d));
        lmHead = w.output() == null ? embedding : manager.create(w.output(), new Shape(c.vocabSize(), d));
        float sqrtD = (float) Math.sqrt(d);
        finalNorm = manager.create(scaled(w.finalNorm(), sqrtD), new Shape(d));
        eps = manager.create(d * c.rmsEps());
        minusHalf = manager.create(-0.5f);
        fusedRope = (long) (qd + kd) * d <= 65536;
        rope = manager.create(ropeTable(c, !fusedRope), new Shape(c.contextLength(), 2L * c.headDim()));
        wqkv = new NDArray[nl];
        bqkv = new NDArray[nl];
        wo = new NDArray[nl];
        wgu = new NDArray[nl];
        wdown = new NDArray[nl];
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        List<LlamaWeights.Layer> layers = w.layers();
        for (int i = 0; i < nl; i++) {
            LlamaWeights.Layer l = layers.get(i);
            float[][] parts = fusedRope
                    ? new float[][] {scaled(l.wq(), scale), l.wk(),
                        scaled(rotateHalfRows(l.wq(), c.heads(), c.headDim(), d), scale),
                        rotateHalfRows(l.wk(), c.kvHeads(), c.headDim(), d), l.wv()}
                    : new float[][] {scaled(l.wq(), scale), l.wk(), l.wv()};
            float[] f = stack(parts);
            foldColumns(f, scaled(l.attnNorm(), sqrtD));
            wqkv[i] = manager.create(f, new Shape(f.length / d, d));
            if (c.qkvBias()) {
                float[] b = stack(fusedRope
                        ? new float[][] {scaled(l.bq(), scale), l.bk(),
                            scaled(rotateHalfRows(l.bq(), c.heads(), c.headDim(), 1), scale),
                            rotateHalfRows(l.bk(), c.kvHeads(), c.headDim(), 1), l.bv()}
                        : new float[][] {scaled(l.bq(), scale), l.bk(), l.bv()});
                bqkv[i] = manager.create(b, new Shape(b.length));
            }
            wo[i] = manager.create(l.wo(), new Shape(d, qd));
            float[] gu = new float[2 * h * d];
            put(gu, put(gu, 0, l.wGate(), d), l.wUp(), d);
            foldColumns(gu, scaled(l.ffnNorm(), sqrtD));
            wgu[i] = manager.create(gu, new Shape(2L * h, d));
            wdown[i] = manager.create(l.wDown(), new Shape(d, h));
        }
    }

    /** Host threads the forwards use (1 on the torch backend, which uses PyTorch's intra-op threads). */
    public int threads() {
        return vector == null ? 1 : vector.threads();
    }

    /** Bytes of the weights as the running backend holds them (as stored for the host backend). */
    public long weightBytes() {
        if (vector != null) {
            return vector.tensors().bytes();
        }
        long n = (long) c.vocabSize() * c.dim() * (lmHead == embedding ? 1 : 2)
                + (long) c.layers() * ((long) (c.qDim() + 2 * c.kvDim()) * c.dim() + (long) c.dim() * c.qDim()
                        + 3L * c.hiddenDim() * c.dim());
        return 4 * n;
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

    private static boolean contiguous(int[] positions) {
        for (int i = 1; i < positions.length; i++) {
            if (positions[i] != positions[0] + i) {
                return false;
            }
        }
        return true;
    }

    private static float[] stack(float[][] parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Rows of {@code rotate_half(W x)} per head: row j<half = -row(j+half), row j>=half = row(j-half). */
    static float[] rotateHalfRows(float[] w, int heads, int headDim, int cols) {
        float[] r = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = h * headDim;
            for (int j = 0; j < half; j++) {
                System.arraycopy(w, (base + j + half) * cols, r, (base + j) * cols, cols);
                for (int k = 0; k < cols; k++) {
                    r[(base + j) * cols + k] = -r[(base + j) * cols + k];
                }
                System.arraycopy(w, (base + j) * cols, r, (base + j + half) * cols, cols);
            }
        }
        return r;
    }

    private static int put(float[] dst, int rowOffset, float[] src, int cols) {
        System.arraycopy(src, 0, dst, rowOffset * cols, src.length);
        return rowOffset + src.length / cols;
    }

    private static float[] scaled(float[] a, float s) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] * s;
        }
        return r;
    }

    /** Multiplies column j of a row-major [rows, n] matrix by {@code g[j]}. */
    private static void foldColumns(float[] m, float[] g) {
        int n = g.length;
        for (int i = 0; i < m.length; i++) {
            m[i] *= g[i % n];
        }
    }

    /**
     * cos and sin for every position, {@code [context, 2*headDim]}: columns {@code [0, hd)} hold cos, columns
     * {@code [hd, 2hd)} sin; with {@code signedSin} the first half of a head holds {@code -sin} (the sign of
     * {@code rotate_half}). The frequency of head column j is theta^(-2(j mod half)/hd).
     */
    static float[] ropeTable(LlamaConfig c, boolean signedSin) {
        int hd = c.headDim();
        int half = hd / 2;
        float[] t = new float[c.contextLength() * 2 * hd];
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // float math as in llama2.c run.c: 1.0f / powf(theta, 2i / (float) hd)
            inv[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * i) / (double) hd));
        }
        for (int p = 0; p < c.contextLength(); p++) {
            int o = p * 2 * hd;
            for (int j = 0; j < hd; j++) {
                float a = p * inv[j % half];
                t[o + j] = (float) Math.cos(a);
                t[o + hd + j] = (float) (signedSin && j < half ? -Math.sin(a) : Math.sin(a));
            }
        }
        return t;
    }

    @Override
    public LlamaConfig config() {
        return c;
    }

    @Override
    public KvCache newCache(int capacity) {
        return new KvCache(manager, c, capacity, vector != null);
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

    private ForwardResult checkedForward(HostForward vf, KvCache cache, int[] tokens, float[] inputs, int[] positions,
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
        long[] ids = new long[t];
        long[] pos = new long[t];
        for (int i = 0; i < t; i++) {
            if (tokens != null && (tokens[i] < 0 || tokens[i] >= c.vocabSize())) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside vocabulary 0.."
                        + (c.vocabSize() - 1));
            }
            if (positions[i] < 0 || positions[i] >= c.contextLength()) {
                throw new IllegalArgumentException("position " + positions[i] + " outside the context of "
                        + c.contextLength());
            }
            ids[i] = tokens == null ? 0 : tokens[i];
            pos[i] = positions[i];
        }
        int exit = options.exitLayer() < 0 ? c.layers() : options.exitLayer();
        if (exit < 1 || exit > c.layers()) {
            throw new IllegalArgumentException("exit layer " + exit + " outside 1.." + c.layers());
        }
        int prefix = cache.length();
        int s = prefix + t;
        int kvh = c.kvHeads();
        int hd = c.headDim();
        int g = c.heads() / kvh;
        int qd = c.qDim();
        int kd = c.kvDim();
        int[] hiddenLayers = options.hiddenLayers();
        for (int hl : hiddenLayers) {
            if (hl < 1 || hl > exit) {
                throw new IllegalArgumentException("hidden layer " + hl + " outside 1.." + exit);
            }
        }
        if (cache.isHost() != (vf != null)) {
            throw new IllegalArgumentException("the cache was made for the " + (cache.isHost() ? "vector" : "torch")
                    + " kernel, this forward runs the " + (vf != null ? "vector" : "torch") + " kernel: use the"
                    + " model's own newCache");
        }
        if (vf != null) {
            cache.acquire();
            try {
                return vf.forward(manager, cache, tokens, inputs, positions, mask, options, exit);
            } finally {
                cache.release();
            }
        }
        NDArray[] layerHidden = new NDArray[hiddenLayers.length];
        NDManager out = manager.newSubManager(); // the outputs; handed to a device result or closed here
        boolean handedOver = false;
        try (NDManager m = manager.newSubManager()) {
            cache.acquire();
            NDArrayEx ex = embedding.getNDArrayInternal();
            NDArray x;                                                                               // [T, D]
            NDArray table;                                                                           // [T, 2hd]
            if (inputs != null) {
                x = m.create(inputs, new Shape(t, c.dim()));
            } else if (t == 1) {
                // one token: plain slices, no index tensors to create (two native calls instead of four)
                x = embedding.get(m, new NDIndex().addSliceDim(ids[0], ids[0] + 1));
            } else {
                x = ex.embedding(m.create(ids), embedding, SparseFormat.DENSE).singletonOrThrow();
            }
            if (contiguous(positions)) {
                table = rope.get(m, new NDIndex().addSliceDim(positions[0], positions[0] + t));
            } else {
                table = ex.embedding(m.create(pos), rope, SparseFormat.DENSE).singletonOrThrow();
            }
            NDArray cs = null;
            NDArray cos = null;
            NDArray sin = null;
            if (fusedRope) {
                cs = table.reshape(t, 2, 1, hd);                                                     // [T,2,1,hd]
            } else {
                NDList halves = table.reshape(t, 2, 1, 2, hd / 2).split(2, 1);
                cos = halves.get(0).reshape(t, 1, 2, hd / 2);
                sin = halves.get(1).reshape(t, 1, 2, hd / 2);
            }
            NDArray addMask = null;
            if (t > 1 || (mask != null && mask.history() > 0)) {
                AttentionMask am = mask == null ? AttentionMask.causal(t) : mask;
                addMask = m.create(am.additive(prefix), new Shape(t, s));                             // [T, S]
            }
            NDIndex newSlots = new NDIndex().addSliceDim(prefix, s);
            NDIndex allSlots = new NDIndex().addSliceDim(0, s);
            long[] splitQkv = {(fusedRope ? 2L : 1L) * (qd + kd)};
            int[] axis1 = {1};
            long[] splitQ = {c.heads()};
            long[] splitGu = {c.hiddenDim()};
            int[] lastAxis = {-1};
            for (int l = 0; l < exit; l++) {
                NDArray hn = rmsNorm(x, lastAxis);
                NDList qkv = ex.linear(hn, wqkv[l], bqkv[l]).singletonOrThrow().split(splitQkv, 1);
                NDArray roped;                                                                       // [T,H+KV,hd]
                if (fusedRope) {
                    roped = qkv.get(0).reshape(t, 2, c.heads() + kvh, hd).muli(cs).sum(axis1);
                } else {
                    NDArray halves = qkv.get(0).reshape(t, c.heads() + kvh, 2, hd / 2);
                    roped = halves.mul(cos).addi(halves.flip(2).muli(sin)).reshape(t, c.heads() + kvh, hd);
                }
                NDList qk = roped.split(splitQ, 1);
                NDArray kCache = cache.keys(l);
                NDArray vCache = cache.values(l);
                kCache.set(newSlots, qk.get(1));
                vCache.set(newSlots, qkv.get(1).reshape(t, kvh, hd));
                NDArray keys = kCache.get(m, allSlots).transpose(1, 2, 0);                           // [KV,hd,S]
                NDArray vals = vCache.get(m, allSlots).transpose(1, 0, 2);                           // [KV,S,hd]
                NDArray q = t == 1 ? qk.get(0).reshape(kvh, g, hd)
                        : qk.get(0).reshape(t, kvh, g, hd).transpose(1, 2, 0, 3).reshape(kvh, (long) g * t, hd);
                NDArray scores = q.matMul(keys);                                                     // [KV,gT,S]
                if (addMask != null) {
                    scores = scores.reshape(kvh, g, t, s).addi(addMask).reshape(kvh, (long) g * t, s);
                }
                NDArray att = scores.softmax(-1).matMul(vals);                                       // [KV,gT,hd]
                att = t == 1 ? att.reshape(1, qd)
                        : att.reshape(kvh, g, t, hd).transpose(2, 0, 1, 3).reshape(t, qd);
                NDArray attnOut = ex.linear(att, wo[l], null).singletonOrThrow();
                // layer 0: x may be a view of the embedding weights (T = 1), so never update it in place
                x = l == 0 ? x.add(attnOut) : x.addi(attnOut);
                NDList gu = ex.linear(rmsNorm(x, lastAxis), wgu[l], null).singletonOrThrow().split(splitGu, 1);
                NDArray gate = gu.get(0);
                NDArray act = gate.getNDArrayInternal().sigmoid().muli(gate).muli(gu.get(1));
                x = x.addi(ex.linear(act, wdown[l], null).singletonOrThrow());
                for (int k = 0; k < hiddenLayers.length; k++) {
                    if (hiddenLayers[k] == l + 1) {
                        // x is updated in place by later layers: keep a device copy, not a host one
                        layerHidden[k] = x.duplicate();
                        layerHidden[k].attach(out);
                    }
                }
            }
            cache.advance(t);
            NDArray hf = rmsNorm(x, lastAxis).muli(finalNorm);                                        // [T, D]
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
                        x0 -> x0.getNDArrayInternal().linear(x0, lmHead, null).singletonOrThrow(), lastHidden,
                        layerHidden);
            }
            NDArray logits = ex.linear(head, lmHead, null).singletonOrThrow();                       // [rows, V]
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
     * {@code x / sqrt(sum(x^2) + dim*eps)} over the last axis: RMSNorm up to the factor {@code sqrt(dim)}, which is
     * folded with the norm weights into the next matmul (a sum costs half a mean here: 2.7 vs 4.8 µs).
     */
    private NDArray rmsNorm(NDArray x, int[] lastAxis) {
        return x.mul(x.square().sum(lastAxis, true).addi(eps).powi(minusHalf));
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
                return lmHead(finalNorm(m.create(hidden, new Shape(t, c.dim())))).toFloatArray();
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
        return embedding.getNDArrayInternal().embedding(m.create(ids), embedding, SparseFormat.DENSE)
                .singletonOrThrow();
    }

    @Override
    public NDArray finalNorm(NDArray hidden) {
        checkWidth(hidden);
        if (vector != null) {
            int rows = Math.toIntExact(hidden.getShape().size() / c.dim());
            float[] out = vector.finalNorm(hidden.toFloatArray(), rows);
            return hidden.getManager().create(out, hidden.getShape());
        }
        return rmsNorm(hidden, new int[] {-1}).muli(finalNorm);
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
        return normed.getNDArrayInternal().linear(normed, lmHead, null).singletonOrThrow();
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
