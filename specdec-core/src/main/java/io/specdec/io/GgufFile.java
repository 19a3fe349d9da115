package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader for GGUF v2 and v3 files (the format of llama.cpp; specification: ggml/docs/gguf.md). The header
 * (metadata key/values and tensor infos) is parsed eagerly with every count, length, type, dimension and offset
 * checked against the file size before anything is allocated; tensor data is read lazily from a memory mapping.
 *
 * <p>Metadata values are exposed as: {@code Long} (all integer types), {@code Double} (float32/64), {@code Boolean},
 * {@code String}, and arrays as {@code long[]}, {@code double[]}, {@code boolean[]}, {@code String[]}.
 * Tensor shapes are reported row-major (GGUF's {@code ne} reversed), so a matrix with {@code ne = [in, out]} has
 * shape {@code [out, in]}. Thread safety: immutable after construction; reads may run concurrently.
 */
public final class GgufFile implements TensorStore {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    /** Default data alignment when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;

    private final MappedFile file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, int[]> metadataTypes;
    private final Map<String, TensorInfo> tensors;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(MappedFile file) {
        this.file = file;
        long headerLen = Math.min(file.size(), 1L << 30);
        Cursor c = new Cursor(file.slice(0, headerLen, "header"), file.path(), file.size());
        int magic = c.i32("magic");
        if (magic != MAGIC) {
            throw new CheckpointException(file.path() + ": not a GGUF file (magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(MAGIC) + " \"GGUF\")");
        }
        version = c.i32("version");
        if (version != 2 && version != 3) {
            throw new CheckpointException(file.path() + ": unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = c.u64("tensor_count");
        long kvCount = c.u64("metadata_kv_count");
        // Each KV needs >= 12 bytes, each tensor info >= 24: reject absurd counts before allocating anything.
        c.requireCount(kvCount, 12, "metadata_kv_count");
        c.requireCount(tensorCount, 24, "tensor_count");
        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, int[]> mt = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = c.string("metadata key #" + i);
            int type = c.i32("type of '" + key + "'");
            int elem = type == 9 && c.b.remaining() >= 4 ? c.b.getInt(c.b.position()) : -1;
            md.put(key, c.value(type, key));
            mt.put(key, new int[] {type, elem});
        }
        metadata = Collections.unmodifiableMap(md);
        metadataTypes = Collections.unmodifiableMap(mt);
        Object al = md.get("general.alignment");
        alignment = al == null ? DEFAULT_ALIGNMENT : (int) (long) (Long) requireType(al, Long.class, "general.alignment");
        if (alignment <= 0 || Integer.bitCount(alignment) != 1 || alignment > (1 << 20)) {
            throw new CheckpointException(file.path() + ": general.alignment " + alignment + " is not a power of two");
        }
        List<long[]> rawOffsets = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        List<GgmlType> types = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("tensor name #" + i);
            int nDims = c.i32("n_dims of '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new CheckpointException(file.path() + ": tensor '" + name + "' has " + nDims
                        + " dimensions (expected 1.." + MAX_DIMS + ")");
            }
            long[] ne = new long[nDims];
            long n = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.u64("ne[" + d + "] of '" + name + "'");
                if (ne[d] <= 0 || ne[d] > file.size() * 8 || n > Long.MAX_VALUE / ne[d]) {
                    throw new CheckpointException(file.path() + ": tensor '" + name + "' has impossible dimension "
                            + ne[d]);
                }
                n *= ne[d];
            }
            GgmlType type;
            try {
                type = GgmlType.fromId(c.i32("type of '" + name + "'"), file.path() + ": tensor '" + name + "'");
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(e.getMessage(), e);
            }
            if (ne[0] % type.blockSize() != 0) {
                throw new CheckpointException(file.path() + ": tensor '" + name + "' row length " + ne[0]
                        + " is not a multiple of the " + type + " block size " + type.blockSize());
            }
            long off = c.u64("offset of '" + name + "'");
            if (off % alignment != 0) {
                throw new CheckpointException(file.path() + ": tensor '" + name + "' offset " + off
                        + " is not aligned to " + alignment);
            }
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = ne[nDims - 1 - d];
            }
            names.add(name);
            shapes.add(shape);
            types.add(type);
            rawOffsets.add(new long[] {off, type.byteSize(n)});
        }
        long pos = c.position();
        dataOffset = (pos + alignment - 1) / alignment * alignment;
        Map<String, TensorInfo> ts = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            long off = dataOffset + rawOffsets.get(i)[0];
            long bytes = rawOffsets.get(i)[1];
            if (off > file.size() || bytes > file.size() - off) {
                throw new CheckpointException(file.path() + ": tensor '" + names.get(i) + "' data [" + off + ", "
                        + (off + bytes) + ") lies past the end of the file (" + file.size()
                        + " bytes): truncated or corrupt");
            }
            if (ts.put(names.get(i), new TensorInfo(names.get(i), shapes.get(i), types.get(i), off, bytes)) != null) {
                throw new CheckpointException(file.path() + ": duplicate tensor name '" + names.get(i) + "'");
            }
        }
        tensors = Collections.unmodifiableMap(ts);
    }

    /** Opens and validates a GGUF file. */
    public static GgufFile open(Path path) {
        MappedFile f = new MappedFile(path);
        try {
            return new GgufFile(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    /** All metadata, in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** True if the key is present. */
    /**
     * The GGUF value type of a metadata entry as stored ({@code {type, elementType}}; element type -1 unless the
     * type is 9 = array), or null: writers that copy metadata keep the exact types llama.cpp checks.
     */
    public int[] metadataType(String key) {
        int[] t = metadataTypes.get(key);
        return t == null ? null : t.clone();
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** An integer metadata value; throws naming the key if missing or not an integer. */
    public long getLong(String key) {
        return (Long) requireType(requireKey(key), Long.class, key);
    }

    /** An integer metadata value or {@code dflt}. */
    public long getLong(String key, long dflt) {
        return has(key) ? getLong(key) : dflt;
    }

    /** A float metadata value or {@code dflt}. */
    public double getDouble(String key, double dflt) {
        if (!has(key)) {
            return dflt;
        }
        Object v = metadata.get(key);
        if (v instanceof Long l) {
            return l;
        }
        return (Double) requireType(v, Double.class, key);
    }

    public String getString(String key) {
        return (String) requireType(requireKey(key), String.class, key);
    }

    public String getString(String key, String dflt) {
        return has(key) ? getString(key) : dflt;
    }

    public boolean getBoolean(String key, boolean dflt) {
        return has(key) ? (Boolean) requireType(metadata.get(key), Boolean.class, key) : dflt;
    }

    public String[] getStringArray(String key) {
        return (String[]) requireType(requireKey(key), String[].class, key);
    }

    public double[] getDoubleArray(String key) {
        return (double[]) requireType(requireKey(key), double[].class, key);
    }

    public long[] getLongArray(String key) {
        return (long[]) requireType(requireKey(key), long[].class, key);
    }

    private Object requireKey(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new CheckpointException(file.path() + ": missing metadata key '" + key + "'");
        }
        return v;
    }

    private Object requireType(Object v, Class<?> type, String key) {
        if (!type.isInstance(v)) {
            throw new CheckpointException(file.path() + ": metadata '" + key + "' is a " + v.getClass().getSimpleName()
                    + ", expected " + type.getSimpleName());
        }
        return v;
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

    /** Bounds-checked little-endian cursor over the header. */
    private static final class Cursor {
        private final ByteBuffer b;
        private final Path path;
        private final long fileSize;

        Cursor(ByteBuffer b, Path path, long fileSize) {
            this.b = b;
            this.path = path;
            this.fileSize = fileSize;
        }

        long position() {
            return b.position();
        }

        private void need(long n, String what) {
            if (n < 0 || n > b.remaining()) {
                throw new CheckpointException(path + ": truncated while reading " + what + " at byte " + b.position()
                        + " (needs " + n + " bytes, " + b.remaining() + " left)");
            }
        }

        void requireCount(long count, long minBytesEach, String what) {
            if (count < 0 || count > b.remaining() / minBytesEach) {
                throw new CheckpointException(path + ": " + what + " = " + Long.toUnsignedString(count)
                        + " is impossible for a file of " + fileSize + " bytes");
            }
        }

        int i32(String what) {
            need(4, what);
            return b.getInt();
        }

        long u64(String what) {
            need(8, what);
            long v = b.getLong();
            if (v < 0) {
                throw new CheckpointException(path + ": " + what + " = " + Long.toUnsignedString(v) + " is impossible");
            }
            return v;
        }

        String string(String what) {
            long len = u64("length of " + what);
            need(len, what);
            byte[] bytes = new byte[(int) len];
            b.get(bytes);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Tokenizer vocabularies may hold invalid UTF-8 pieces; keep them lossless as Latin-1-like text.
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        Object value(int type, String key) {
            switch (type) {
                case 0: need(1, key); return (long) (b.get() & 0xFF);
                case 1: need(1, key); return (long) b.get();
                case 2: need(2, key); return (long) (b.getShort() & 0xFFFF);
                case 3: need(2, key); return (long) b.getShort();
                case 4: need(4, key); return b.getInt() & 0xFFFFFFFFL;
                case 5: need(4, key); return (long) b.getInt();
                case 6: need(4, key); return (double) b.getFloat();
                case 7: need(1, key); return b.get() != 0;
                case 8: return string(key);
                case 9: return array(key);
                case 10: case 11: need(8, key); return b.getLong();
                case 12: need(8, key); return b.getDouble();
                default:
                    throw new CheckpointException(path + ": metadata '" + key + "' has unknown value type " + type);
            }
        }

        private Object array(String key) {
            int et = i32("element type of '" + key + "'");
            long n = u64("length of '" + key + "'");
            int minBytes = switch (et) {
                case 0, 1, 7 -> 1;
                case 2, 3 -> 2;
                case 4, 5, 6 -> 4;
                case 8, 10, 11, 12 -> 8;
                default -> throw new CheckpointException(path + ": metadata array '" + key
                        + "' has unsupported element type " + et);
            };
            requireCount(n, minBytes, "length of array '" + key + "'");
            int len = (int) n;
            switch (et) {
                case 8: {
                    String[] s = new String[len];
                    for (int i = 0; i < len; i++) {
                        s[i] = string(key + "[" + i + "]");
                    }
                    return s;
                }
                case 6: case 12: {
                    double[] d = new double[len];
                    for (int i = 0; i < len; i++) {
                        d[i] = (Double) value(et, key);
                    }
                    return d;
                }
                case 7: {
                    boolean[] z = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        z[i] = (Boolean) value(et, key);
                    }
                    return z;
                }
                default: {
                    long[] l = new long[len];
                    for (int i = 0; i < len; i++) {
                        l[i] = (Long) value(et, key);
                    }
                    return l;
                }
            }
        }
    }
}
