package io.specdec.io;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files with float32 (or float16) tensors and typed metadata, readable by {@link GgufFile} and by
 * llama.cpp. Metadata values: {@code Integer} (uint32), {@code Long} (uint64), {@code Float} (float32),
 * {@code Boolean}, {@code String}, {@code String[]}, {@code float[]} and {@code int[]} (int32 arrays). Tensors take a
 * row-major shape ({@code [out, in]}); GGUF's {@code ne} is written reversed. Written atomically via a temp file.
 * Not thread-safe.
 */
public final class GgufWriter {
    private record Tensor(String name, long[] shape, float[] data, GgmlType type,
            java.util.function.Supplier<float[]> source) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A metadata value with its GGUF type given explicitly (type, element type of an array or -1). */
    private record Typed(int type, int elem, Object value) {}

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** Adds a metadata entry (see the class doc for the accepted value types). */
    public GgufWriter putMetadata(String key, Object value) {
        if (!(value instanceof Typed || value instanceof Integer || value instanceof Long || value instanceof Float || value instanceof Boolean
                || value instanceof String || value instanceof String[] || value instanceof float[]
                || value instanceof int[])) {
            throw new IllegalArgumentException("unsupported metadata type for '" + key + "': " + value.getClass());
        }
        metadata.put(key, value);
        return this;
    }

    /** Adds a float32 tensor with a row-major shape. */
    public GgufWriter putTensor(String name, long[] shape, float[] data) {
        return putTensor(name, shape, data, GgmlType.F32);
    }

    /** Adds a tensor stored as F32 or F16. */
    public GgufWriter putTensor(String name, long[] shape, float[] data, GgmlType type) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape has " + n + " elements, data has "
                    + data.length);
        }
        if (type != GgmlType.F32 && type != GgmlType.F16) {
            throw new IllegalArgumentException("GGUF writer supports F32 and F16, not " + type);
        }
        tensors.add(new Tensor(name, shape.clone(), data, type, null));
        return this;
    }

    /**
     * Adds a metadata entry with its GGUF value type ({@code 0..12} as in the specification; {@code elemType} for an
     * array, else -1): {@code Long} for integer types, {@code Double} for floats, {@code Boolean}, {@code String}, and
     * {@code long[]}, {@code double[]}, {@code boolean[]}, {@code String[]} for arrays — what {@link GgufFile} reads.
     */
    public GgufWriter putMetadataTyped(String key, int type, int elemType, Object value) {
        metadata.put(key, new Typed(type, elemType, value));
        return this;
    }

    /**
     * Adds a tensor of any supported {@link GgmlType} whose floats are produced only while the file is written
     * ({@code source} is called once, then dropped), so a converter holds one tensor in memory at a time.
     *
     * @throws IllegalArgumentException if the row length is not a multiple of the type's block size
     */
    public GgufWriter putTensor(String name, long[] shape, GgmlType type, java.util.function.Supplier<float[]> source) {
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + shape[shape.length - 1]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        tensors.add(new Tensor(name, shape.clone(), null, type, source));
        return this;
    }

    /** Writes the file atomically. */
    public void write(Path path) throws IOException {
        AtomicFiles.write(path, os -> {
            Out out = new Out(os);
            out.i32(GgufFile.MAGIC);
            out.i32(3);
            out.i64(tensors.size());
            out.i64(metadata.size());
            for (Map.Entry<String, Object> e : metadata.entrySet()) {
                out.str(e.getKey());
                out.value(e.getValue());
            }
            long off = 0;
            for (Tensor t : tensors) {
                out.str(t.name);
                out.i32(t.shape.length);
                for (int d = t.shape.length - 1; d >= 0; d--) {
                    out.i64(t.shape[d]);
                }
                out.i32(t.type.id());
                out.i64(off);
                off = align(off + t.type.byteSize(t.elements()));
            }
            out.pad(align(out.count) - out.count);
            long start = out.count;
            for (Tensor t : tensors) {
                if (t.source != null) {
                    float[] data = t.source.get();
                    if (data.length != t.elements()) {
                        throw new IllegalArgumentException("tensor '" + t.name + "': " + data.length
                                + " values for shape " + java.util.Arrays.toString(t.shape));
                    }
                    long rowLen = t.shape[t.shape.length - 1];
                    int rowsPerChunk = (int) Math.max(1, (1 << 22) / Math.max(1, t.type.byteSize(rowLen)));
                    long rows = data.length / rowLen;
                    for (long r = 0; r < rows; r += rowsPerChunk) {
                        long n = Math.min(rowsPerChunk, rows - r) * rowLen;
                        ByteBuffer chunk = ByteBuffer.allocate((int) t.type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
                        t.type.quantize(data, (int) (r * rowLen), n, chunk);
                        out.bytes(chunk.array());
                    }
                    long rel = out.count - start;
                    out.pad(align(rel) - rel);
                    continue;
                }
                for (float f : t.data) {
                    if (t.type == GgmlType.F32) {
                        out.f32(f);
                    } else {
                        out.i16(HalfFloats.f32ToF16(f));
                    }
                }
                long rel = out.count - start;
                out.pad(align(rel) - rel);
            }
        });
    }

    private long align(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private static final class Out {
        private final OutputStream os;
        private final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        Out(OutputStream os) {
            this.os = os;
        }

        private void flush(int n) throws IOException {
            os.write(b.array(), 0, n);
            count += n;
            b.clear();
        }

        void i16(short v) throws IOException {
            b.putShort(v);
            flush(2);
        }

        void i32(int v) throws IOException {
            b.putInt(v);
            flush(4);
        }

        void i64(long v) throws IOException {
            b.putLong(v);
            flush(8);
        }

        void f32(float v) throws IOException {
            b.putFloat(v);
            flush(4);
        }

        void bytes(byte[] a) throws IOException {
            os.write(a);
            count += a.length;
        }

        void pad(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                os.write(0);
                count++;
            }
        }

        void str(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            os.write(bytes);
            count += bytes.length;
        }

        void typed(int type, Object v) throws IOException {
            switch (type) {
                case 0, 1 -> {
                    os.write((int) (long) (Long) v);
                    count++;
                }
                case 2, 3 -> i16((short) (long) (Long) v);
                case 4, 5 -> i32((int) (long) (Long) v);
                case 6 -> f32((float) (double) (Double) v);
                case 7 -> {
                    os.write((Boolean) v ? 1 : 0);
                    count++;
                }
                case 8 -> str((String) v);
                case 10, 11 -> i64((Long) v);
                case 12 -> {
                    b.putDouble((Double) v);
                    flush(8);
                }
                default -> throw new IllegalArgumentException("GGUF value type " + type);
            }
        }

        void value(Object v) throws IOException {
            if (v instanceof Typed t) {
                i32(t.type);
                if (t.type != 9) {
                    typed(t.type, t.value);
                    return;
                }
                i32(t.elem);
                Object a = t.value;
                int n = java.lang.reflect.Array.getLength(a);
                i64(n);
                for (int k = 0; k < n; k++) {
                    Object e = a instanceof long[] la ? (Object) la[k] : a instanceof double[] da ? (Object) da[k]
                            : java.lang.reflect.Array.get(a, k);
                    typed(t.elem, e);
                }
                return;
            }
            if (v instanceof Integer i) {
                i32(4);
                i32(i);
            } else if (v instanceof Long l) {
                i32(10);
                i64(l);
            } else if (v instanceof Float f) {
                i32(6);
                f32(f);
            } else if (v instanceof Boolean z) {
                i32(7);
                os.write(z ? 1 : 0);
                count++;
            } else if (v instanceof String s) {
                i32(8);
                str(s);
            } else if (v instanceof String[] a) {
                i32(9);
                i32(8);
                i64(a.length);
                for (String s : a) {
                    str(s);
                }
            } else if (v instanceof float[] a) {
                i32(9);
                i32(6);
                i64(a.length);
                for (float f : a) {
                    f32(f);
                }
            } else if (v instanceof int[] a) {
                i32(9);
                i32(5);
                i64(a.length);
                for (int x : a) {
                    i32(x);
                }
            } else {
                throw new IllegalArgumentException(String.valueOf(v));
            }
        }
    }
}
