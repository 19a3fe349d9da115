package io.specdec.io;

import io.specdec.model.Kernels;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaTensors;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A checkpoint opened for use: config, the tokenizer that came with it, and its weights in two forms —
 * {@link #tensors()}, the matrices in their storage format as views of the file's memory mapping (what the host
 * backend computes on; nothing is read or widened at load), and {@link #weights()}, the widened float32 form
 * (half-split RoPE layout) made on first request for the torch backend, training, inflation and writers.
 *
 * <p>Lifetime: a loaded file stays mapped until this object is closed (or, if it never is, until the garbage
 * collector finds the mapping unreachable); a model built on the tensors takes its own reference
 * ({@link #retain()}), so closing this after building the model is safe. Thread-safe.
 */
public final class LoadedModel implements AutoCloseable {
    private final Path path;
    private final String format;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final TensorStore store;
    private final ModelLoader.Names names;
    private LlamaTensors tensors;
    private LlamaWeights weights;

    /**
     * A model already widened in memory (built by code rather than read from a file).
     *
     * @param format "gguf", "hf", "llama2c" or what the caller made it from
     */
    public LoadedModel(Path path, String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {
        this.path = path;
        this.format = format;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.store = null;
        this.names = null;
    }

    /** A model on an open store; this object takes over the store (closes it). */
    LoadedModel(Path path, String format, LlamaConfig config, LlamaTensors tensors, Tokenizer tokenizer,
            TensorStore store, ModelLoader.Names names) {
        this.path = path;
        this.format = format;
        this.config = config;
        this.tensors = tensors;
        this.tokenizer = tokenizer;
        this.store = store;
        this.names = names;
    }

    /** The file or directory read. */
    public Path path() {
        return path;
    }

    /** "gguf", "hf" or "llama2c". */
    public String format() {
        return format;
    }

    public LlamaConfig config() {
        return config;
    }

    /** The tokenizer that came with the checkpoint (null for an HF directory without tokenizer.json). */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The matrices in their storage format (views of the mapping; F32 copies for a model built in memory). */
    public synchronized LlamaTensors tensors() {
        if (tensors == null) {
            tensors = LlamaTensors.of(weights);
        }
        return tensors;
    }

    /**
     * The weights widened to float32 in the half-split layout, read on first call (4 bytes per parameter on the
     * Java heap: for large models use {@link #tensors()} through the host backend instead).
     */
    public synchronized LlamaWeights weights() {
        if (weights == null) {
            weights = ModelLoader.readWeights(store, config, tensors.layout(), names, s -> { });
        }
        return weights;
    }

    /** Bytes the weights occupy as stored (the file's tensor data). */
    public long weightBytes() {
        return tensors().bytes();
    }

    /** A reference that keeps the mapping alive until closed (no-op for a model built in memory). */
    public AutoCloseable retain() {
        return store == null ? () -> { } : store.retain();
    }

    /**
     * A model on these weights with the kernel {@link Kernels#requested()}: the host backend computes on
     * {@link #tensors()} in place (the model holds its own reference on the mapping); the torch backend uploads
     * {@link #weights()}. Close the model; this object may be closed before it.
     */
    public LlamaModel newModel() {
        return newModel(Kernels.requested());
    }

    /** As {@link #newModel()} with an explicit kernel: {@code auto}, {@code torch} or {@code vector}. */
    public LlamaModel newModel(String kernel) {
        return new LlamaModel(tensors(), retain(), kernel);
    }

    /**
     * As {@link #newModel(String)} with the context set to {@code contextLength} positions (llama.cpp's
     * {@code --ctx-size}): smaller saves cache memory and RoPE tables; larger than the checkpoint's context runs RoPE
     * past its trained range (quality may drop; correctness of speculation does not).
     */
    public LlamaModel newModel(String kernel, int contextLength) {
        LlamaTensors t = tensors();
        LlamaTensors c = new LlamaTensors(t.config().withContextLength(contextLength), t.layout(), t.embedding(),
                t.layers(), t.finalNorm(), t.output());
        return new LlamaModel(c, retain(), kernel);
    }

    /** Releases this object's reference to the mapping. */
    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
