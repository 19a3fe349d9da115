package io.specdec.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A weight matrix {@code [rows, cols]} kept in its storage format: the raw little-endian bytes of a GGUF, safetensors
 * or llama2.c tensor (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K), usually a slice of a read-only memory mapping, never
 * widened to float32 at load. Row r occupies bytes {@code [r·rowBytes, (r+1)·rowBytes)}; a quantised row is
 * {@code cols / blockSize} blocks. The host kernels ({@link HostKernels}) compute on these bytes directly.
 *
 * <p>Memory: {@link #bytes()} bytes, off the Java heap when the buffer is a mapping or a direct buffer. Thread
 * safety: immutable; every reader uses absolute (index-based) reads, so any number of threads may read at once.
 */
public final class WeightTensor {
    private final String name;
    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final int rowBytes;
    private final ByteBuffer data;
    private final FloatBuffer floats;  // F32 view, or null
    private final ShortBuffer shorts;  // F16/BF16 view, or null

    /**
     * @param name the tensor's name in its file (for messages)
     * @param type the storage type
     * @param rows output rows
     * @param cols input columns (a multiple of the type's block size)
     * @param data exactly {@code rows · rowBytes} bytes; any byte order (read as little-endian)
     * @throws IllegalArgumentException naming the tensor when the sizes do not match
     */
    public WeightTensor(String name, GgmlType type, int rows, int cols, ByteBuffer data) {
        if (rows <= 0 || cols <= 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': shape [" + rows + ", " + cols + "] does not fit "
                    + type + " blocks of " + type.blockSize());
        }
        long rb = type.byteSize(cols);
        if (rb * rows != data.remaining()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining() + " bytes, expected "
                    + rb * rows + " for " + type + " [" + rows + ", " + cols + "]");
        }
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = (int) rb;
        this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.floats = type == GgmlType.F32 ? this.data.asFloatBuffer() : null;
        this.shorts = type == GgmlType.F16 || type == GgmlType.BF16 ? this.data.asShortBuffer() : null;
    }

    /** An F32 tensor holding a copy of {@code values} ({@code [rows, cols]} row-major) in a direct buffer. */
    public static WeightTensor ofFloats(String name, float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + values.length + " values, expected "
                    + rows + " x " + cols);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new WeightTensor(name, GgmlType.F32, rows, cols, b);
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes of one row. */
    public int rowBytes() {
        return rowBytes;
    }

    /** Bytes of the whole tensor. */
    public long bytes() {
        return (long) rowBytes * rows;
    }

    /** The raw little-endian bytes (a read-only view; use absolute reads). */
    public ByteBuffer data() {
        return data;
    }

    FloatBuffer floats() {
        return floats;
    }

    ShortBuffer shorts() {
        return shorts;
    }

    /** Widens row {@code r} into {@code dst[off, off+cols)} (an embedding lookup). */
    public void dequantizeRow(int r, float[] dst, int off) {
        if (r < 0 || r >= rows) {
            throw new IndexOutOfBoundsException("row " + r + " of tensor '" + name + "' with " + rows + " rows");
        }
        if (VECTOR) {
            HostKernels.dequantizeRow(this, r, dst, off, HostKernels.scratch());
        } else {
            dequantizeRowScalar(r, dst, off); // no Vector API module (the torch backend on a plain JVM)
        }
    }

    /** Row {@code r} through the scalar reference decoder ({@link GgmlType#dequantize}); no bounds check. */
    void dequantizeRowScalar(int r, float[] dst, int off) {
        type.dequantize(data.duplicate().position(Math.multiplyExact(r, rowBytes)), cols, dst, off);
    }

    /** Whether {@link HostKernels} (which needs {@code jdk.incubator.vector}) can load in this JVM. */
    private static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    @Override
    public String toString() {
        return name + " " + type + " [" + rows + ", " + cols + "]";
    }
}
