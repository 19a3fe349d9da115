package io.specdec.io;

import io.specdec.format.CheckpointException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;

/**
 * Read access to the tensors of one checkpoint (a GGUF file, a safetensors file or set of shards, a llama2.c file).
 * Tensors are decoded from a read-only memory mapping into float32 arrays on demand (F16/BF16 widened, quantised
 * blocks dequantised, in Java). Implementations validate every offset and size against the file when opened.
 * Not thread-safe for concurrent {@link #close()}; concurrent reads are fine.
 */
public interface TensorStore extends AutoCloseable {
    /** The file (or directory) this store reads. */
    Path path();

    /** All tensors, in file order. */
    Collection<TensorInfo> tensors();

    /** The tensor named {@code name}, or {@code null}. */
    TensorInfo find(String name);

    /** Reads a tensor as float32 row-major data. */
    float[] readFloats(TensorInfo info);

    /**
     * The tensor's raw little-endian bytes in its storage format: a view of a shared read-only mapping, nothing
     * copied or widened. Valid while this store, or a reference taken with {@link #retain()}, is open.
     */
    java.nio.ByteBuffer bytes(TensorInfo info);

    /**
     * Takes a reference that keeps this store's mappings alive after {@link #close()}; closing the returned handle
     * releases it, and the last release unmaps the file(s) at once.
     */
    AutoCloseable retain();

    /** The tensor named {@code name}; throws naming the file and tensor if it is missing. */
    default TensorInfo require(String name) {
        TensorInfo t = find(name);
        if (t == null) {
            throw new CheckpointException(path() + ": missing tensor '" + name + "'");
        }
        return t;
    }

    /** Reads a tensor after checking that its shape equals {@code expected}. */
    default float[] readFloats(String name, long... expected) {
        TensorInfo t = require(name);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new CheckpointException(path() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected) + " from the model config");
        }
        return readFloats(t);
    }

    @Override
    void close();
}
