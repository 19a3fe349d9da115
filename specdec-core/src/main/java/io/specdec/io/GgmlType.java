package io.specdec.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * GGML tensor element types that this library can load, with their block layout. Quantised types are dequantised to
 * float32 at load time (the layouts follow ggml's {@code ggml-quants.c}; see the GGUF specification in
 * ggml/docs/gguf.md). Other ggml types are rejected with a {@link CheckpointException} naming the type.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The numeric id stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** Bytes needed for {@code elements} elements; {@code elements} must be a multiple of {@link #blockSize()}. */
    public long byteSize(long elements) {
        return elements / blockSize * typeSize;
    }

    /** Looks up a type id, or throws naming the unsupported id (and ggml's name for it when known). */
    public static GgmlType fromId(int id, String where) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new CheckpointException(where + ": unsupported ggml tensor type " + id + " (" + knownName(id)
                + "); supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K");
    }

    private static String knownName(int id) {
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2(removed)", "Q4_3(removed)", "Q5_0", "Q5_1", "Q8_0",
            "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
            "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
        return id >= 0 && id < names.length ? names[id] : "unknown";
    }

    /**
     * Decodes {@code n} elements from {@code src} (positioned at the first block, any byte order) into {@code dst}
     * starting at {@code dstOff}. {@code n} must be a multiple of the block size.
     */
    public void dequantize(ByteBuffer src, long n, float[] dst, int dstOff) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = b.position();
        int o = dstOff;
        switch (this) {
            case F32 -> {
                b.asFloatBuffer().get(dst, dstOff, (int) n);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[o++] = HalfFloats.f16ToF32(b.getShort(p + 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[o++] = HalfFloats.bf16ToF32(b.getShort(p + 2 * i));
                }
            }
            case Q8_0 -> {
                for (long blk = 0; blk < n / 32; blk++, p += 34) {
                    float d = HalfFloats.f16ToF32(b.getShort(p));
                    for (int j = 0; j < 32; j++) {
                        dst[o++] = d * b.get(p + 2 + j);
                    }
                }
            }
            case Q4_0 -> {
                for (long blk = 0; blk < n / 32; blk++, p += 18) {
                    float d = HalfFloats.f16ToF32(b.getShort(p));
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(p + 2 + j) & 0xFF;
                        dst[o + j] = ((q & 0x0F) - 8) * d;
                        dst[o + j + 16] = ((q >>> 4) - 8) * d;
                    }
                    o += 32;
                }
            }
            case Q4_K -> {
                int[] sc = new int[8];
                int[] mn = new int[8];
                for (long blk = 0; blk < n / 256; blk++, p += 144) {
                    float d = HalfFloats.f16ToF32(b.getShort(p));
                    float dmin = HalfFloats.f16ToF32(b.getShort(p + 2));
                    int s = p + 4; // 12 bytes of packed 6-bit scales and mins
                    for (int j = 0; j < 8; j++) {
                        if (j < 4) {
                            sc[j] = b.get(s + j) & 63;
                            mn[j] = b.get(s + j + 4) & 63;
                        } else {
                            sc[j] = (b.get(s + j + 4) & 0x0F) | (((b.get(s + j - 4) & 0xFF) >>> 6) << 4);
                            mn[j] = ((b.get(s + j + 4) & 0xFF) >>> 4) | (((b.get(s + j) & 0xFF) >>> 6) << 4);
                        }
                    }
                    int q = p + 16;
                    for (int chunk = 0; chunk < 4; chunk++) { // 64 elements per chunk, two sub-blocks of 32
                        float d1 = d * sc[2 * chunk];
                        float m1 = dmin * mn[2 * chunk];
                        float d2 = d * sc[2 * chunk + 1];
                        float m2 = dmin * mn[2 * chunk + 1];
                        for (int l = 0; l < 32; l++) {
                            int v = b.get(q + l) & 0xFF;
                            dst[o + l] = d1 * (v & 0x0F) - m1;
                            dst[o + 32 + l] = d2 * (v >>> 4) - m2;
                        }
                        q += 32;
                        o += 64;
                    }
                }
            }
            case Q6_K -> {
                for (long blk = 0; blk < n / 256; blk++, p += 210) {
                    int ql = p;
                    int qh = p + 128;
                    int scp = p + 192;
                    float d = HalfFloats.f16ToF32(b.getShort(p + 208));
                    for (int half = 0; half < 2; half++) { // 128 elements per half
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int lo0 = b.get(ql + l) & 0xFF;
                            int lo1 = b.get(ql + l + 32) & 0xFF;
                            int hi = b.get(qh + l) & 0xFF;
                            int q1 = ((lo0 & 0x0F) | ((hi & 3) << 4)) - 32;
                            int q2 = ((lo1 & 0x0F) | (((hi >>> 2) & 3) << 4)) - 32;
                            int q3 = ((lo0 >>> 4) | (((hi >>> 4) & 3) << 4)) - 32;
                            int q4 = ((lo1 >>> 4) | (((hi >>> 6) & 3) << 4)) - 32;
                            dst[o + l] = d * b.get(scp + is) * q1;
                            dst[o + l + 32] = d * b.get(scp + is + 2) * q2;
                            dst[o + l + 64] = d * b.get(scp + is + 4) * q3;
                            dst[o + l + 96] = d * b.get(scp + is + 6) * q4;
                        }
                        o += 128;
                        ql += 64;
                        qh += 32;
                        scp += 8;
                    }
                }
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
