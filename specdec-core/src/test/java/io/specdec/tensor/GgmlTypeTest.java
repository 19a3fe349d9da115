package io.specdec.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Dequantisation against hand-computed blocks (values derived from the block layouts in the GGUF specification /
 * ggml-quants.c, chosen so every expected value can be checked by hand) and IEEE half/bfloat16 reference values.
 */
class GgmlTypeTest {
    private static ByteBuffer block(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float[] decode(GgmlType t, ByteBuffer b, int n) {
        b.position(0);
        float[] out = new float[n];
        t.dequantize(b, n, out, 0);
        return out;
    }

    @Test
    void halfFloatReferenceValues() {
        assertEquals(1.0f, HalfFloats.f16ToF32(0x3C00));
        assertEquals(-2.0f, HalfFloats.f16ToF32(0xC000));
        assertEquals(65504f, HalfFloats.f16ToF32(0x7BFF));
        assertEquals(5.9604645e-8f, HalfFloats.f16ToF32(0x0001));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToF32(0x7C00));
        assertEquals(0x3C00, HalfFloats.f32ToF16(1.0f) & 0xFFFF);
        assertEquals(0x3555, HalfFloats.f32ToF16(1f / 3) & 0xFFFF, "round to nearest");
        assertEquals(1.0f, HalfFloats.bf16ToF32(0x3F80));
        assertEquals(0x3F80, HalfFloats.f32ToBf16(1.0f) & 0xFFFF);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 10000; i++) {
            float f = (float) ((r.nextDouble() - 0.5) * Math.pow(2, r.nextInt(-14, 15)));
            float h = HalfFloats.f16ToF32(HalfFloats.f32ToF16(f));
            assertEquals(f, h, Math.abs(f) / 2048 + 1e-7f, "f16 round trip of " + f);
            float b = HalfFloats.bf16ToF32(HalfFloats.f32ToBf16(f));
            assertEquals(f, b, Math.abs(f) / 256, "bf16 round trip of " + f);
        }
    }

    @Test
    void q8_0() {
        ByteBuffer b = block(34);
        b.putShort(0, (short) 0x3800); // d = 0.5
        for (int j = 0; j < 32; j++) {
            b.put(2 + j, (byte) (j * 8 - 128));
        }
        float[] y = decode(GgmlType.Q8_0, b, 32);
        for (int j = 0; j < 32; j++) {
            assertEquals(0.5f * (j * 8 - 128), y[j]);
        }
    }

    @Test
    void q4_0() {
        ByteBuffer b = block(18);
        b.putShort(0, (short) 0x4000); // d = 2
        for (int j = 0; j < 16; j++) {
            b.put(2 + j, (byte) ((15 - j) << 4 | j)); // low nibble j, high nibble 15-j
        }
        float[] y = decode(GgmlType.Q4_0, b, 32);
        for (int j = 0; j < 16; j++) {
            assertEquals(2f * (j - 8), y[j], "low nibble → element " + j);
            assertEquals(2f * (15 - j - 8), y[j + 16], "high nibble → element " + (j + 16));
        }
    }

    @Test
    void q4_K() {
        ByteBuffer b = block(144);
        b.putShort(0, (short) 0x3C00); // d = 1
        b.putShort(2, (short) 0x3800); // dmin = 0.5
        for (int i = 0; i < 12; i++) {
            b.put(4 + i, (byte) 1);
        }
        // scales[0] high bits (0b11) become the upper bits of sub-block 4's scale: sc4 = 1 | 3 << 4 = 49
        b.put(4, (byte) 0xC1);
        for (int i = 0; i < 128; i++) {
            b.put(16 + i, (byte) 0x21); // low nibble 1, high nibble 2
        }
        float[] y = decode(GgmlType.Q4_K, b, 256);
        // sub-blocks 0..3: scale 1, min 1 → q - 0.5; sub-block 4: scale 49, min 0; 5..7: scale 1, min 0
        assertEquals(1 - 0.5f, y[0]);
        assertEquals(2 - 0.5f, y[32]);
        assertEquals(1 - 0.5f, y[64]);
        assertEquals(2 - 0.5f, y[127]);
        assertEquals(49f, y[128]);
        assertEquals(2f, y[160]);
        assertEquals(1f, y[192]);
        assertEquals(2f, y[255]);
    }

    @Test
    void q6_K() {
        ByteBuffer b = block(210);
        for (int i = 0; i < 128; i++) {
            b.put(i, (byte) 0x21); // ql: low 1, high 2
        }
        for (int i = 0; i < 64; i++) {
            b.put(128 + i, (byte) (i < 32 ? 0 : 0xFF)); // qh: first half 0, second half all bits set (3 per 2 bits)
        }
        for (int i = 0; i < 16; i++) {
            b.put(192 + i, (byte) (i + 1)); // scales 1..16
        }
        b.putShort(208, (short) 0x3C00); // d = 1
        float[] y = decode(GgmlType.Q6_K, b, 256);
        // first 128: qh = 0 → q = nibble - 32; element l uses scale[l/16 + 0/2/4/6]
        assertEquals(1 * (1 - 32), y[0]);
        assertEquals(2 * (1 - 32), y[16]);
        assertEquals(3 * (1 - 32), y[32]);
        assertEquals(5 * (2 - 32), y[64]);
        assertEquals(8 * (2 - 32), y[127]);
        // second 128: qh bits 3 → q = nibble + 48 - 32; scales continue at 9
        assertEquals(9 * (1 + 16), y[128]);
        assertEquals(15 * (2 + 16), y[128 + 96]);
    }
}
