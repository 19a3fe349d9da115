package io.specdec.io;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import com.google.gson.Gson;
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
 * Writes float tensors to a {@code .safetensors} file (F32, F16 or BF16 on disk). The file is written to a temporary
 * sibling and moved into place, so a failure never leaves a half-written file. Not thread-safe.
 *
 * <pre>{@code
 * new SafetensorsWriter().put("w", new long[] {2, 3}, data).optMetadata("format", "pt").write(path);
 * }</pre>
 */
public final class SafetensorsWriter {
    private record Entry(String name, long[] shape, float[] data, GgmlType dtype) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a float32 tensor. {@code data.length} must equal the product of {@code shape}. */
    public SafetensorsWriter put(String name, long[] shape, float[] data) {
        return put(name, shape, data, GgmlType.F32);
    }

    /** Adds a tensor stored as {@code dtype} (F32, F16 or BF16). */
    public SafetensorsWriter put(String name, long[] shape, float[] data, GgmlType dtype) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape has " + n + " elements, data has "
                    + data.length);
        }
        if (dtype != GgmlType.F32 && dtype != GgmlType.F16 && dtype != GgmlType.BF16) {
            throw new IllegalArgumentException("safetensors writer supports F32, F16, BF16, not " + dtype);
        }
        entries.add(new Entry(name, shape.clone(), data, dtype));
        return this;
    }

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter optMetadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Writes the file atomically. */
    public void write(Path path) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long off = 0;
        for (Entry e : entries) {
            long bytes = e.dtype.byteSize(e.data.length);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", e.dtype.name());
            m.put("shape", e.shape);
            m.put("data_offsets", new long[] {off, off + bytes});
            header.put(e.name, m);
            off += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) {
            padded[i] = ' ';
        }
        AtomicFiles.write(path, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Entry e : entries) {
                ByteBuffer b = ByteBuffer.allocate((int) e.dtype.byteSize(e.data.length)).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : e.data) {
                    switch (e.dtype) {
                        case F32 -> b.putFloat(f);
                        case F16 -> b.putShort(HalfFloats.f32ToF16(f));
                        default -> b.putShort(HalfFloats.f32ToBf16(f));
                    }
                }
                out.write(b.array());
            }
        });
    }
}
