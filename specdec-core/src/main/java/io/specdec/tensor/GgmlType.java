package io.specdec.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * GGML tensor element types that this library can load, with their block layout. Quantised types are dequantised to
 * float32 at load time (the layouts follow ggml's {@code ggml-quants.c}; see the GGUF specification in
 * ggml/docs/gguf.md). Other ggml types are rejected with an {@link IllegalArgumentException} naming the type (readers wrap it in their
 * own exception).
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
        throw new IllegalArgumentException(where + ": unsupported ggml tensor type " + id + " (" + knownName(id)
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
    /**
     * Encodes {@code n} floats of {@code src} from {@code srcOff} into this type's blocks at {@code dst}'s position
     * (advanced past them); {@code n} must be a multiple of the block size. The block layouts are ggml's
     * ({@code ggml-common.h}), so llama.cpp reads the result. Q8_0 and Q4_0 follow ggml's reference quantisers
     * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}: same scale rule and rounding); Q4_K and Q6_K use
     * a plain min/max (Q4_K) and absolute-max (Q6_K) fit per sub-block, simpler than ggml's iterative search, so their
     * error is somewhat larger than {@code llama-quantize}'s on the same weights.
     */
    public void quantize(float[] src, int srcOff, long n, ByteBuffer dst) {
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(n + " values do not fill whole " + this + " blocks of " + blockSize);
        }
        ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
        int o = srcOff;
        switch (this) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    b.putFloat(src[o++]);
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    b.putShort(HalfFloats.f32ToF16(src[o++]));
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    b.putShort(HalfFloats.f32ToBf16(src[o++]));
                }
            }
            case Q8_0 -> {
                for (long blk = 0; blk < n / 32; blk++, o += 32) {
                    float amax = 0f;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(src[o + j]));
                    }
                    float d = amax / 127f;
                    float id = d != 0f ? 1f / d : 0f;
                    b.putShort(HalfFloats.f32ToF16(d));
                    for (int j = 0; j < 32; j++) {
                        b.put((byte) roundAway(src[o + j] * id));
                    }
                }
            }
            case Q4_0 -> {
                for (long blk = 0; blk < n / 32; blk++, o += 32) {
                    float amax = 0f;
                    float max = 0f;
                    for (int j = 0; j < 32; j++) {
                        float v = src[o + j];
                        if (amax < Math.abs(v)) {
                            amax = Math.abs(v);
                            max = v;
                        }
                    }
                    float d = max / -8f;
                    float id = d != 0f ? 1f / d : 0f;
                    b.putShort(HalfFloats.f32ToF16(d));
                    for (int j = 0; j < 16; j++) {
                        int q0 = Math.min(15, (byte) (src[o + j] * id + 8.5f));
                        int q1 = Math.min(15, (byte) (src[o + 16 + j] * id + 8.5f));
                        b.put((byte) (q0 | (q1 << 4)));
                    }
                }
            }
            case Q4_K -> {
                for (long blk = 0; blk < n / 256; blk++, o += 256) {
                    quantizeQ4K(src, o, b);
                }
            }
            case Q6_K -> {
                for (long blk = 0; blk < n / 256; blk++, o += 256) {
                    quantizeQ6K(src, o, b);
                }
            }
            default -> throw new IllegalStateException(name());
        }
    }

    /** C's {@code roundf}: halves away from zero (Java's {@code Math.round} takes them up). */
    private static int roundAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }

    /** One Q4_K super-block: value = d·sc_j·q − dmin·m_j, q in 0..15, 6-bit sc_j and m_j per sub-block of 32. */
    private static void quantizeQ4K(float[] x, int o, ByteBuffer b) {
        float[] scale = new float[8];
        float[] min = new float[8];
        for (int j = 0; j < 8; j++) {
            float lo = 0f;
            float hi = 0f;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[o + 32 * j + l]);
                hi = Math.max(hi, x[o + 32 * j + l]);
            }
            scale[j] = (hi - lo) / 15f;
            min[j] = -lo;
        }
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            maxScale = Math.max(maxScale, scale[j]);
            maxMin = Math.max(maxMin, min[j]);
        }
        float d = HalfFloats.f16ToF32(HalfFloats.f32ToF16(maxScale / 63f));
        float dmin = HalfFloats.f16ToF32(HalfFloats.f32ToF16(maxMin / 63f));
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = d > 0 ? Math.min(63, Math.round(scale[j] / d)) : 0;
            mn[j] = dmin > 0 ? Math.min(63, Math.round(min[j] / dmin)) : 0;
        }
        b.putShort(HalfFloats.f32ToF16(d));
        b.putShort(HalfFloats.f32ToF16(dmin));
        for (int j = 0; j < 4; j++) {
            b.put((byte) (sc[j] | ((sc[j + 4] >> 4) << 6)));
        }
        for (int j = 0; j < 4; j++) {
            b.put((byte) (mn[j] | ((mn[j + 4] >> 4) << 6)));
        }
        for (int j = 0; j < 4; j++) {
            b.put((byte) ((sc[j + 4] & 0x0F) | ((mn[j + 4] & 0x0F) << 4)));
        }
        for (int chunk = 0; chunk < 4; chunk++) {
            int j0 = 2 * chunk;
            for (int l = 0; l < 32; l++) {
                int q0 = q4k(x[o + 32 * j0 + l], d * sc[j0], dmin * mn[j0]);
                int q1 = q4k(x[o + 32 * (j0 + 1) + l], d * sc[j0 + 1], dmin * mn[j0 + 1]);
                b.put((byte) (q0 | (q1 << 4)));
            }
        }
    }

    private static int q4k(float v, float scale, float min) {
        if (scale == 0f) {
            return 0;
        }
        return Math.max(0, Math.min(15, Math.round((v + min) / scale)));
    }

    /** One Q6_K super-block: value = d·sc_j·(q − 32), q in 0..63, an int8 sc_j per sub-block of 16. */
    private static void quantizeQ6K(float[] x, int o, ByteBuffer b) {
        float[] scale = new float[16];
        float maxAbs = 0f;
        for (int j = 0; j < 16; j++) {
            float amax = 0f;
            for (int l = 0; l < 16; l++) {
                amax = Math.max(amax, Math.abs(x[o + 16 * j + l]));
            }
            scale[j] = amax / 31f;
            maxAbs = Math.max(maxAbs, scale[j]);
        }
        float d = HalfFloats.f16ToF32(HalfFloats.f32ToF16(maxAbs / 127f));
        int[] sc = new int[16];
        for (int j = 0; j < 16; j++) {
            sc[j] = d > 0 ? Math.min(127, Math.round(scale[j] / d)) : 0;
        }
        int[] q = new int[256];
        for (int e = 0; e < 256; e++) {
            float s = d * sc[e / 16];
            q[e] = s == 0f ? 32 : Math.max(0, Math.min(63, Math.round(x[o + e] / s) + 32));
        }
        byte[] ql = new byte[128];
        byte[] qh = new byte[64];
        for (int half = 0; half < 2; half++) {
            int e0 = 128 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = q[e0 + l];
                int q2 = q[e0 + l + 32];
                int q3 = q[e0 + l + 64];
                int q4 = q[e0 + l + 96];
                ql[64 * half + l] = (byte) ((q1 & 0x0F) | ((q3 & 0x0F) << 4));
                ql[64 * half + l + 32] = (byte) ((q2 & 0x0F) | ((q4 & 0x0F) << 4));
                qh[32 * half + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
        b.put(ql);
        b.put(qh);
        for (int j = 0; j < 16; j++) {
            b.put((byte) sc[j]);
        }
        b.putShort(HalfFloats.f32ToF16(d));
    }
}
