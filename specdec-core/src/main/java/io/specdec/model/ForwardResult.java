package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What one forward produced: logits of every returned row, optionally the final-norm hidden state and the residual
 * stream after requested layers. Two forms:
 * <ul>
 *   <li><b>host</b> ({@link #ofHost}, and every forward run without {@link ForwardOptions#withDeviceOutputs()}): the
 *       arrays were copied to the host by the forward; {@link #close()} does nothing;
 *   <li><b>device</b> (forwards with {@link ForwardOptions#withDeviceOutputs()}): the outputs stay NDArrays in a
 *       manager of their own, on the model's device, until someone asks: the host getters copy lazily, once, and
 *       only what is asked for (a drafter that reads one hidden row never pays for the logits of the others).
 *       {@link #close()} frees the native memory; the owner (the verifier's caller) must close it.
 * </ul>
 * Shapes: logits {@code [rows, vocab]}, hidden states {@code [T, dim]} (T = tokens of the forward; rows = T or 1),
 * row-major on the host. Not thread-safe.
 */
public final class ForwardResult implements AutoCloseable {
    private final int rows;
    private final int tokens;
    private final int vocab;
    private final int dim;
    private final NDManager manager;
    private NDArray logitsNd;
    private final NDArray headInput;
    private final java.util.function.UnaryOperator<NDArray> head;
    private NDArray lastHiddenNd;
    private final NDArray[] layerNd;
    private static final java.util.concurrent.atomic.AtomicLong HOST_COPIES = new java.util.concurrent.atomic.AtomicLong();
    private float[] logits;
    private float[] lastHidden;
    private final float[][] layerHidden;
    private boolean closed;

    private ForwardResult(int rows, int tokens, int vocab, int dim, NDManager manager, NDArray headInput,
            java.util.function.UnaryOperator<NDArray> head, NDArray lastHiddenNd, NDArray[] layerNd, float[] logits,
            float[] lastHidden, float[][] layerHidden) {
        this.rows = rows;
        this.headInput = headInput;
        this.head = head;
        this.tokens = tokens;
        this.vocab = vocab;
        this.dim = dim;
        this.manager = manager;
        this.lastHiddenNd = lastHiddenNd;
        this.layerNd = layerNd;
        this.logits = logits;
        this.lastHidden = lastHidden;
        this.layerHidden = layerHidden;
    }

    /**
     * Host outputs (tests, drafters with their own math).
     *
     * @param rows logit rows
     * @param vocab row width
     * @param logits {@code [rows, vocab]}
     * @param lastHidden {@code [rows, dim]} or null
     * @param layerHidden per requested layer {@code [T, dim]}, or empty
     */
    public static ForwardResult ofHost(int rows, int vocab, float[] logits, float[] lastHidden, float[][] layerHidden) {
        float[][] layers = layerHidden == null ? new float[0][] : layerHidden;
        float[] any = lastHidden != null ? lastHidden : layers.length > 0 ? layers[0] : null;
        return ofHost(rows, vocab, any == null || rows == 0 ? 0 : any.length / rows, logits, lastHidden, layers);
    }

    /** Host outputs with an explicit hidden width (hidden rows may outnumber logit rows: all T vs the last). */
    static ForwardResult ofHost(int rows, int vocab, int dim, float[] logits, float[] lastHidden,
            float[][] layerHidden) {
        return new ForwardResult(rows, rows, vocab, dim, null, null, null, null, new NDArray[layerHidden.length],
                logits, lastHidden, layerHidden);
    }

    /**
     * Host outputs of a forward whose caller asked for device outputs ({@link ForwardOptions#withDeviceOutputs()})
     * but whose kernel computed them on the host ({@link Kernels vector}): the array getters create NDArrays in
     * {@code materializer} on first use; {@link #close()} closes it.
     *
     * @param tokens rows of the hidden states ({@code rows} is 1 when only the last logit row was asked for)
     * @param materializer manager for arrays made on request, owned by the result; null for plain host results
     */
    static ForwardResult ofHost(int rows, int tokens, int vocab, int dim, float[] logits, float[] lastHidden,
            float[][] layerHidden, NDManager materializer) {
        return new ForwardResult(rows, tokens, vocab, dim, materializer, null, null, null,
                new NDArray[layerHidden.length], logits, lastHidden, layerHidden);
    }

    /**
     * Device outputs owned by {@code manager} (closed with this result). The LM head runs on {@code headInput}
     * ({@code [rows, dim]}, final-norm outputs) only when logits are first asked for — a drafter that reads only
     * hidden states at prefill never pays for them.
     */
    static ForwardResult ofDevice(int rows, int tokens, int vocab, int dim, NDManager manager, NDArray headInput,
            java.util.function.UnaryOperator<NDArray> head, NDArray lastHidden, NDArray[] layers) {
        return new ForwardResult(rows, tokens, vocab, dim, manager, headInput, head, lastHidden, layers, null, null,
                new float[layers.length][]);
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("forward outputs used after close (copy what must outlive the round)");
        }
    }

    /** Number of logit rows ({@code T}, or 1 when only the last row was asked for). */
    public int rows() {
        return rows;
    }

    /** Logit row width. */
    public int vocab() {
        return vocab;
    }

    /** Hidden width (0 when no hidden state was returned). */
    public int dim() {
        return dim;
    }

    /** Raw logits {@code [rows, vocab]} row-major (copied from the device on first use; do not modify). */
    public float[] logits() {
        open();
        if (logits == null) {
            logits = logitsArray().toFloatArray();
            HOST_COPIES.incrementAndGet();
        }
        return logits;
    }

    /** A copy of logit row {@code r}. */
    public float[] row(int r) {
        float[] out = new float[vocab];
        System.arraycopy(logits(), r * vocab, out, 0, vocab);
        return out;
    }

    /** Index of the largest logit in row {@code r} (first on ties). */
    public int argmax(int r) {
        return io.specdec.sampling.Distributions.argmax(logits(), r * vocab, vocab);
    }

    /**
     * The argmax of every logit row (first on ties), {@code [rows]}. For device outputs whose logits were not yet
     * copied, the argmax runs on the device and only the ids reach the host (one transfer of {@code rows} longs
     * instead of {@code rows × vocab} floats): what greedy verification needs.
     */
    public int[] argmaxRows() {
        open();
        int[] out = new int[rows];
        if (logits == null && (headInput != null || logitsNd != null)) {
            long[] ids = logitsArray().argMax(1).toLongArray();
            HOST_COPIES.incrementAndGet();
            for (int r = 0; r < rows; r++) {
                out[r] = (int) ids[r];
            }
            return out;
        }
        float[] l = logits();
        for (int r = 0; r < rows; r++) {
            out[r] = io.specdec.sampling.Distributions.argmax(l, r * vocab, vocab);
        }
        return out;
    }

    /**
     * Device-to-host copies made by forward results in this JVM so far (logits, hidden states, argmax ids): tests
     * read the difference across a decoding round.
     */
    public static long hostCopies() {
        return HOST_COPIES.get();
    }

    /** The final-norm output (the LM head's input), {@code [T, dim]}, or null if it was not asked for. */
    public float[] lastHidden() {
        open();
        if (lastHidden == null && lastHiddenNd != null) {
            lastHidden = lastHiddenNd.toFloatArray();
            HOST_COPIES.incrementAndGet();
        }
        return lastHidden;
    }

    /** Row {@code r} of {@link #lastHidden()}, {@code [dim]}. */
    public float[] lastHiddenRow(int r) {
        float[] h = lastHidden();
        if (h == null) {
            throw new IllegalStateException("the last hidden state was not requested for this forward");
        }
        float[] out = new float[dim];
        System.arraycopy(h, r * dim, out, 0, dim);
        return out;
    }

    /** Residual stream after the {@code k}-th requested layer, {@code [T, dim]}. */
    public float[] layerHidden(int k) {
        open();
        if (layerHidden[k] == null) {
            layerHidden[k] = layerNd[k].toFloatArray();
            HOST_COPIES.incrementAndGet();
        }
        return layerHidden[k];
    }

    /** All requested layers' residual streams, in the order asked (copies every one to the host). */
    public float[][] layerHidden() {
        float[][] out = new float[layerHidden.length][];
        for (int k = 0; k < out.length; k++) {
            out[k] = layerHidden(k);
        }
        return out;
    }

    /** Number of requested hidden layers. */
    public int hiddenLayerCount() {
        return layerHidden.length;
    }

    /** Logits as an NDArray {@code [rows, vocab]} on the model's device, or null for host results. */
    public NDArray logitsArray() {
        open();
        if (logitsNd == null && headInput != null) {
            logitsNd = head.apply(headInput);
        } else if (logitsNd == null && manager != null && logits != null) {
            logitsNd = manager.create(logits, new ai.djl.ndarray.types.Shape(rows, vocab));
        }
        return logitsNd;
    }

    /** The final-norm hidden state as an NDArray {@code [T, dim]}, or null (host result, or not requested). */
    public NDArray lastHiddenArray() {
        open();
        if (lastHiddenNd == null && manager != null && lastHidden != null) {
            lastHiddenNd = manager.create(lastHidden, new ai.djl.ndarray.types.Shape(tokens, dim));
        }
        return lastHiddenNd;
    }

    /** The {@code k}-th requested layer as an NDArray {@code [T, dim]}, or null for host results. */
    public NDArray layerHiddenArray(int k) {
        open();
        if (layerNd[k] == null && manager != null && layerHidden[k] != null) {
            layerNd[k] = manager.create(layerHidden[k], new ai.djl.ndarray.types.Shape(tokens, dim));
        }
        return layerNd[k];
    }

    /** Whether the outputs are device arrays (see the class comment). */
    public boolean onDevice() {
        return manager != null;
    }

    /** Frees the device outputs (no-op for host results); later calls to getters throw. Idempotent. */
    @Override
    public void close() {
        if (!closed && manager != null) {
            closed = true;
            manager.close();
        }
    }
}
