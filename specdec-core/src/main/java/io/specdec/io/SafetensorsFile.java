package io.specdec.io;

import io.specdec.format.JsonText;
import io.specdec.format.CheckpointException;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader for one {@code .safetensors} file (format: huggingface/safetensors README: an 8-byte little-endian header
 * length N, N bytes of JSON mapping names to {@code dtype}, {@code shape}, {@code data_offsets}, then the data).
 * Supported dtypes: F32, F16, BF16 (BF16 is widened to float32 in Java). Tensor data is memory-mapped, never read
 * whole into a {@code byte[]}, so files over 2 GiB work. Every offset pair is checked against the shape, the dtype
 * and the file size; overlapping or out-of-file ranges are errors. Thread safety: immutable after construction.
 */
public final class SafetensorsFile implements TensorStore {
    private static final long MAX_HEADER = 100L << 20;

    private final MappedFile file;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(MappedFile file) {
        this.file = file;
        Path p = file.path();
        if (file.size() < 8) {
            throw new CheckpointException(p + ": truncated safetensors file (" + file.size() + " bytes, header needs 8)");
        }
        long n = file.map(0, 8, "header length").getLong(0);
        if (n < 2 || n > MAX_HEADER || n > file.size() - 8) {
            throw new CheckpointException(p + ": safetensors header length " + Long.toUnsignedString(n)
                    + " is impossible for a file of " + file.size() + " bytes (truncated or not safetensors)");
        }
        ByteBuffer hb = file.map(8, n, "JSON header");
        byte[] bytes = new byte[(int) n];
        hb.get(bytes);
        JsonElement parsed = JsonText.parse(p, bytes, "safetensors header");
        if (!parsed.isJsonObject()) {
            throw new CheckpointException(p + ": safetensors header is not a JSON object");
        }
        JsonObject root = parsed.getAsJsonObject();
        long dataStart = 8 + n;
        long dataLen = file.size() - dataStart;
        Map<String, TensorInfo> ts = new LinkedHashMap<>();
        Map<String, String> md = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> en : root.entrySet()) {
            String name = en.getKey();
            if (name.equals("__metadata__")) {
                if (en.getValue().isJsonObject()) {
                    for (Map.Entry<String, JsonElement> m : en.getValue().getAsJsonObject().entrySet()) {
                        md.put(m.getKey(), m.getValue().isJsonPrimitive() ? m.getValue().getAsString()
                                : m.getValue().toString());
                    }
                }
                continue;
            }
            try {
                JsonObject o = en.getValue().getAsJsonObject();
                String dt = o.get("dtype").getAsString();
                GgmlType type = switch (dt) {
                    case "F32" -> GgmlType.F32;
                    case "F16" -> GgmlType.F16;
                    case "BF16" -> GgmlType.BF16;
                    default -> throw new CheckpointException(p + ": tensor '" + name + "' has unsupported dtype " + dt
                            + " (supported: F32, F16, BF16)");
                };
                JsonArray sh = o.getAsJsonArray("shape");
                long[] shape = new long[sh.size()];
                long elems = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).getAsLong();
                    if (shape[i] < 0 || (shape[i] > 0 && elems > Long.MAX_VALUE / 8 / shape[i])) {
                        throw new CheckpointException(p + ": tensor '" + name + "' has impossible shape " + sh);
                    }
                    elems *= shape[i];
                }
                JsonArray offs = o.getAsJsonArray("data_offsets");
                long begin = offs.get(0).getAsLong();
                long end = offs.get(1).getAsLong();
                long expected = type.byteSize(elems);
                if (begin < 0 || end < begin || end > dataLen) {
                    throw new CheckpointException(p + ": tensor '" + name + "' data_offsets [" + begin + ", " + end
                            + ") lie outside the data section of " + dataLen + " bytes (truncated or corrupt)");
                }
                if (end - begin != expected) {
                    throw new CheckpointException(p + ": tensor '" + name + "' occupies " + (end - begin)
                            + " bytes but " + dt + " " + sh + " needs " + expected);
                }
                ts.put(name, new TensorInfo(name, shape, type, dataStart + begin, end - begin));
            } catch (CheckpointException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new CheckpointException(p + ": malformed header entry for tensor '" + name + "': " + e, e);
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(ts.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1);
            TensorInfo b = sorted.get(i);
            if (a.offset() + a.byteSize() > b.offset()) {
                throw new CheckpointException(p + ": tensors '" + a.name() + "' and '" + b.name() + "' overlap");
            }
        }
        this.tensors = Collections.unmodifiableMap(ts);
        this.metadata = Collections.unmodifiableMap(md);
    }

    /** Opens and validates a safetensors file. */
    public static SafetensorsFile open(Path path) {
        MappedFile f = new MappedFile(path);
        try {
            return new SafetensorsFile(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The {@code __metadata__} string map (may be empty). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public Collection<TensorInfo> tensors() {
        return tensors.values();
    }

    @Override
    public TensorInfo find(String name) {
        return tensors.get(name);
    }

    @Override
    public java.nio.ByteBuffer bytes(TensorInfo t) {
        return file.slice(t.offset(), t.byteSize(), "tensor '" + t.name() + "'");
    }

    @Override
    public AutoCloseable retain() {
        return file.retain();
    }

    @Override
    public float[] readFloats(TensorInfo t) {
        return file.readFloats(t);
    }

    @Override
    public void close() {
        file.close();
    }
}
