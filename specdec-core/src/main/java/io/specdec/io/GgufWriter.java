package io.specdec.io;

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
    private record Tensor(String name, long[] shape, float[] data, GgmlType type) {}

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** Adds a metadata entry (see the class doc for the accepted value types). */
    public GgufWriter putMetadata(String key, Object value) {
        if (!(value instanceof Integer || value instanceof Long || value instanceof Float || value instanceof Boolean
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
        tensors.add(new Tensor(name, shape.clone(), data, type));
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
                off = align(off + t.type.byteSize(t.data.length));
            }
            out.pad(align(out.count) - out.count);
            long start = out.count;
            for (Tensor t : tensors) {
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

        void value(Object v) throws IOException {
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
