package io.specdec.tensor;

import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Host (CPU) kernels on weights in their storage format, with the JDK Vector API: {@code y = x·Wᵀ} for the small row
 * counts of decoding and verification, and row widening for embedding lookups.
 *
 * <p>Method (after llama.cpp's ggml-cpu {@code vec_dot_*} kernels, read, not copied): a weight row is widened from its
 * blocks once per call into a float scratch row that stays in L1 — F32 is copied, F16/BF16 are widened by bit
 * arithmetic in vector registers, Q8_0/Q4_0 blocks are unpacked as byte vectors, converted to float lanes and scaled
 * by their F16 scale, Q4_K/Q6_K with the scalar decoder of {@link GgmlType} — and then dotted with every one of the
 * T activation rows, four rows per pass, so the weight is read from memory once whatever T is. Unlike llama.cpp, the
 * activations stay float32 (no 8-bit activation quantisation), so results equal a float32 matmul on the widened
 * weights up to summation order.
 *
 * <p>Numerics: every dot product runs in one fixed order (two vector accumulators over consecutive chunks of
 * {@link #LANES}, then a fixed tree sum of their lanes, then the scalar tail), the same whether one row or many are
 * computed and whichever thread computes it, so a row's result does not depend on the batch it is in (a verify row
 * equals the autoregressive row bit for bit).
 *
 * <p>Needs {@code --add-modules jdk.incubator.vector}; load this class only when
 * {@code io.specdec.model.Kernels.vectorAvailable()} says so. Thread-safe: callers pass their own {@link Scratch}.
 */
public final class HostKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector on this CPU (16 with AVX-512, 8 with AVX2). */
    public static final int LANES = F.length();
    private static final boolean VECTOR_BLOCKS = LANES == 8 || LANES == 16;
    private static final VectorSpecies<Byte> B = VECTOR_BLOCKS ? VectorSpecies.of(byte.class,
            VectorShape.forBitSize(LANES * 8)) : null;
    private static final VectorSpecies<Short> H = VECTOR_BLOCKS ? VectorSpecies.of(short.class,
            VectorShape.forBitSize(LANES * 16)) : null;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final float[] F16 = new float[65536];

    static {
        for (int i = 0; i < F16.length; i++) {
            F16[i] = HalfFloats.f16ToF32(i);
        }
    }

    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] HALVES = halves();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private HostKernels() {}

    /** For h = LANES/2, LANES/4, …, 1: the shuffle that moves lane i + h to lane i (indices wrap). */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int n = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] out = new VectorShuffle[n];
        for (int i = 0, h = LANES / 2; h >= 1; i++, h /= 2) {
            out[i] = VectorShuffle.iota(F, h, 1, true);
        }
        return out;
    }

    /** Per-thread working memory of the kernels (grows to the widest row seen). Not thread-safe. */
    public static final class Scratch {
        byte[] bytes = new byte[0];
        short[] shorts = new short[0];
        float[] row = new float[0];
        float[] scales = new float[0];
        float[] row2 = new float[0];
        float[] scales2 = new float[0];

        void ensure(int cols, int rowBytes) {
            if (row.length < cols) {
                row = new float[cols];
                shorts = new short[cols];
            }
            if (bytes.length < rowBytes) {
                bytes = new byte[rowBytes];
            }
        }
    }

    /** The calling thread's scratch. */
    public static Scratch scratch() {
        return SCRATCH.get();
    }

    /**
     * {@code y[r·ldy + yo + (n - n0)] = Σ_k x[r·k + kk]·W[n, kk]} for output rows {@code n ∈ [n0, n1)} and activation
     * rows {@code r ∈ [0, t)}.
     *
     * @param x row-major {@code [t, cols]}
     * @param y output; row r of the result starts at {@code r·ldy + yo}
     */
    public static void matmul(WeightTensor w, float[] x, int t, float[] y, int ldy, int yo, int n0, int n1,
            Scratch s) {
        if (VECTOR_BLOCKS && (w.type() == GgmlType.Q4_0 || w.type() == GgmlType.Q8_0)) {
            blockMatmul(w, x, t, y, ldy, yo, n0, n1, s);
            return;
        }
        int k = w.cols();
        s.ensure(k, w.rowBytes());
        float[] row = s.row;
        for (int n = n0; n < n1; n++) {
            dequantizeRow(w, n, row, 0, s);
            int yi = yo + n - n0;
            int r = 0;
            for (; r + 4 <= t; r += 4) {
                dot4(row, x, r * k, k, s, y, r * ldy + yi, ldy);
            }
            for (; r < t; r++) {
                y[r * ldy + yi] = dot(row, x, r * k, k, s);
            }
        }
    }

    /**
     * Q4_0 / Q8_0 directly on the blocks, without a widened row: for one activation row the blocks are converted in
     * registers as they are used; for two or more, each weight row is converted to floats once and shared by every
     * activation row (in groups of four, then one by one); per row the block's partial dot product
     * {@code s = Σ q·x} (lanes, in a fixed order) is scaled into the row's accumulator with one fused multiply-add
     * by the block's scale, as ggml's {@code vec_dot_q4_0_q8_0} scales per block. Each row's
     * arithmetic is the same whether it is computed alone or with three others, so results are batch-invariant.
     */
    private static void blockMatmul(WeightTensor w, float[] x, int t, float[] y, int ldy, int yo, int n0, int n1,
            Scratch s) {
        int k = w.cols();
        int rb = w.rowBytes();
        int group = Math.max(1, (1 << 15) / rb);
        s.ensure(k, rb * group);
        if (s.scales.length < k / 32) {
            s.scales = new float[k / 32];
            s.scales2 = new float[k / 32];
        }
        if (s.row2.length < k) {
            s.row2 = new float[k];
        }
        boolean q4 = w.type() == GgmlType.Q4_0;
        for (int g0 = n0; g0 < n1; g0 += group) {
            int g1 = Math.min(n1, g0 + group);
            w.data().get(g0 * rb, s.bytes, 0, (g1 - g0) * rb);
            for (int n = g0; n < g1; n++) {
                int base = (n - g0) * rb;
                int yi = yo + n - n0;
                int r = 0;
                if (t >= 2 && n + 1 < g1) {
                    // two weight rows at once, converted once for every activation row: groups of four, then the rest
                    unscaled(s.bytes, base, k, q4, s.row, s.scales);
                    unscaled(s.bytes, base + rb, k, q4, s.row2, s.scales2);
                    for (; r + 4 <= t; r += 4) {
                        blockDot2x4(s.row, s.scales, s.row2, s.scales2, k, x, r * k, y, r * ldy + yi, ldy, s);
                    }
                    if (r + 2 <= t) {
                        blockDot2x2(s.row, s.scales, s.row2, s.scales2, k, x, r * k, y, r * ldy + yi, ldy, s);
                        r += 2;
                    }
                    if (r < t) {
                        blockDot2x1(s.row, s.scales, s.row2, s.scales2, k, x, r * k, y, r * ldy + yi, s);
                    }
                    n++;
                    continue;
                }
                if (t >= 2) {
                    unscaled(s.bytes, base, k, q4, s.row, s.scales);
                    for (; r + 4 <= t; r += 4) {
                        blockDot4(s.row, s.scales, k, x, r * k, y, r * ldy + yi, ldy, s);
                    }
                    for (; r < t; r++) {
                        y[r * ldy + yi] = blockDot1(s.row, s.scales, k, x, r * k, s);
                    }
                    continue;
                }
                y[yi] = q4 ? q4Dot(s.bytes, base, k, x, 0, s) : q8Dot(s.bytes, base, k, x, 0, s);
            }
        }
    }

    /** The blocks of one Q4_0/Q8_0 row as unscaled float values (q − 8, or q) and their scales. */
    private static void unscaled(byte[] b, int base, int k, boolean q4, float[] q, float[] d) {
        int step = q4 ? 18 : 34;
        for (int blk = 0, p = base, o = 0; blk < k / 32; blk++, p += step, o += 32) {
            d[blk] = F16[(b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8];
            if (q4) {
                for (int j = 0; j < 16; j += LANES) {
                    ByteVector v = ByteVector.fromArray(B, b, p + 2 + j);
                    ((FloatVector) v.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0))
                            .intoArray(q, o + j);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8)
                            .convertShape(VectorOperators.B2F, F, 0)).intoArray(q, o + 16 + j);
                }
            } else {
                for (int j = 0; j < 32; j += LANES) {
                    int8(b, p + 2 + j).intoArray(q, o + j);
                }
            }
        }
    }

    /**
     * Four rows of the block dot product on unscaled values: per block, {@code s = Σ q·x} over the block's 32
     * elements in order (one fused multiply-add per {@link #LANES}), then {@code acc += s·d} — exactly the arithmetic
     * of {@link #q4Dot} and {@link #q8Dot}.
     */
    private static void blockDot4(float[] q, float[] d, int k, float[] x, int xo, float[] y, int yi, int ldy,
            Scratch sc) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int blk = 0; blk < k / 32; blk++) {
            int o = blk * 32;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int j = 0; j < 32; j += LANES) {
                FloatVector w = FloatVector.fromArray(F, q, o + j);
                int xj = xo + o + j;
                s0 = w.fma(FloatVector.fromArray(F, x, xj), s0);
                s1 = w.fma(FloatVector.fromArray(F, x, xj + k), s1);
                s2 = w.fma(FloatVector.fromArray(F, x, xj + 2 * k), s2);
                s3 = w.fma(FloatVector.fromArray(F, x, xj + 3 * k), s3);
            }
            FloatVector dv = FloatVector.broadcast(F, d[blk]);
            a0 = s0.fma(dv, a0);
            a1 = s1.fma(dv, a1);
            a2 = s2.fma(dv, a2);
            a3 = s3.fma(dv, a3);
        }
        y[yi] = lanes(a0);
        y[yi + ldy] = lanes(a1);
        y[yi + 2 * ldy] = lanes(a2);
        y[yi + 3 * ldy] = lanes(a3);
    }

    /**
     * One activation row of the block dot product on unscaled values, in exactly {@link #blockDot4}'s (and so
     * {@link #q4Dot}'s and {@link #q8Dot}'s) order: the rows left over after the groups of four share the weights'
     * conversion without changing a bit of their result.
     */
    private static float blockDot1(float[] q, float[] d, int k, float[] x, int xo, Scratch sc) {
        FloatVector a = FloatVector.zero(F);
        for (int blk = 0; blk < k / 32; blk++) {
            int o = blk * 32;
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < 32; j += LANES) {
                s0 = FloatVector.fromArray(F, q, o + j).fma(FloatVector.fromArray(F, x, xo + o + j), s0);
            }
            a = s0.fma(FloatVector.broadcast(F, d[blk]), a);
        }
        return lanes(a);
    }

    /** Two weight rows against two activation rows: four independent chains, each in {@link #blockDot4}'s order. */
    private static void blockDot2x2(float[] q, float[] d, float[] q2, float[] d2, int k, float[] x, int xo, float[] y,
            int yi, int ldy, Scratch sc) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int blk = 0; blk < k / 32; blk++) {
            int o = blk * 32;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector t0 = s0;
            FloatVector t1 = s0;
            for (int j = 0; j < 32; j += LANES) {
                FloatVector w = FloatVector.fromArray(F, q, o + j);
                FloatVector v = FloatVector.fromArray(F, q2, o + j);
                int xj = xo + o + j;
                FloatVector x0 = FloatVector.fromArray(F, x, xj);
                s0 = w.fma(x0, s0);
                t0 = v.fma(x0, t0);
                FloatVector x1 = FloatVector.fromArray(F, x, xj + k);
                s1 = w.fma(x1, s1);
                t1 = v.fma(x1, t1);
            }
            FloatVector dv = FloatVector.broadcast(F, d[blk]);
            FloatVector ev = FloatVector.broadcast(F, d2[blk]);
            a0 = s0.fma(dv, a0);
            a1 = s1.fma(dv, a1);
            b0 = t0.fma(ev, b0);
            b1 = t1.fma(ev, b1);
        }
        y[yi] = lanes(a0);
        y[yi + ldy] = lanes(a1);
        y[yi + 1] = lanes(b0);
        y[yi + 1 + ldy] = lanes(b1);
    }

    /** Two weight rows against one activation row: two independent chains, each in {@link #blockDot4}'s order. */
    private static void blockDot2x1(float[] q, float[] d, float[] q2, float[] d2, int k, float[] x, int xo, float[] y,
            int yi, Scratch sc) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector b0 = a0;
        for (int blk = 0; blk < k / 32; blk++) {
            int o = blk * 32;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector t0 = s0;
            for (int j = 0; j < 32; j += LANES) {
                FloatVector x0 = FloatVector.fromArray(F, x, xo + o + j);
                s0 = FloatVector.fromArray(F, q, o + j).fma(x0, s0);
                t0 = FloatVector.fromArray(F, q2, o + j).fma(x0, t0);
            }
            a0 = s0.fma(FloatVector.broadcast(F, d[blk]), a0);
            b0 = t0.fma(FloatVector.broadcast(F, d2[blk]), b0);
        }
        y[yi] = lanes(a0);
        y[yi + 1] = lanes(b0);
    }

    /**
     * Two weight rows ({@code q}, {@code q2} with scales {@code d}, {@code d2}) against four activation rows: eight
     * outputs, each in exactly {@link #blockDot4}'s order; every activation vector loaded once for both weight rows.
     */
    private static void blockDot2x4(float[] q, float[] d, float[] q2, float[] d2, int k, float[] x, int xo, float[] y,
            int yi, int ldy, Scratch sc) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int blk = 0; blk < k / 32; blk++) {
            int o = blk * 32;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            FloatVector t0 = s0;
            FloatVector t1 = s0;
            FloatVector t2 = s0;
            FloatVector t3 = s0;
            for (int j = 0; j < 32; j += LANES) {
                FloatVector w = FloatVector.fromArray(F, q, o + j);
                FloatVector v = FloatVector.fromArray(F, q2, o + j);
                int xj = xo + o + j;
                FloatVector x0 = FloatVector.fromArray(F, x, xj);
                s0 = w.fma(x0, s0);
                t0 = v.fma(x0, t0);
                FloatVector x1 = FloatVector.fromArray(F, x, xj + k);
                s1 = w.fma(x1, s1);
                t1 = v.fma(x1, t1);
                FloatVector x2 = FloatVector.fromArray(F, x, xj + 2 * k);
                s2 = w.fma(x2, s2);
                t2 = v.fma(x2, t2);
                FloatVector x3 = FloatVector.fromArray(F, x, xj + 3 * k);
                s3 = w.fma(x3, s3);
                t3 = v.fma(x3, t3);
            }
            FloatVector dv = FloatVector.broadcast(F, d[blk]);
            FloatVector ev = FloatVector.broadcast(F, d2[blk]);
            a0 = s0.fma(dv, a0);
            a1 = s1.fma(dv, a1);
            a2 = s2.fma(dv, a2);
            a3 = s3.fma(dv, a3);
            b0 = t0.fma(ev, b0);
            b1 = t1.fma(ev, b1);
            b2 = t2.fma(ev, b2);
            b3 = t3.fma(ev, b3);
        }
        y[yi] = lanes(a0);
        y[yi + ldy] = lanes(a1);
        y[yi + 2 * ldy] = lanes(a2);
        y[yi + 3 * ldy] = lanes(a3);
        y[yi + 1] = lanes(b0);
        y[yi + 1 + ldy] = lanes(b1);
        y[yi + 1 + 2 * ldy] = lanes(b2);
        y[yi + 1 + 3 * ldy] = lanes(b3);
    }

    private static float q4Dot(byte[] b, int base, int k, float[] x, int xo, Scratch sc) {
        FloatVector a = FloatVector.zero(F);
        for (int blk = 0, p = base, o = xo; blk < k / 32; blk++, p += 18, o += 32) {
            a = q4Block(b, p, x, o).fma(scale(b, p), a);
        }
        return lanes(a);
    }

    /** The F16 scale at byte p of a block, broadcast. */
    private static FloatVector scale(byte[] b, int p) {
        return FloatVector.broadcast(F, F16[(b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8]);
    }

    /** {@code Σ q·x} of one Q4_0 block at p against x[o, o+32), in element order, unscaled. */
    private static FloatVector q4Block(byte[] b, int p, float[] x, int o) {
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < 16; j += LANES) {
            ByteVector q = ByteVector.fromArray(B, b, p + 2 + j);
            s = ((FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0))
                    .fma(FloatVector.fromArray(F, x, o + j), s);
        }
        for (int j = 0; j < 16; j += LANES) {
            ByteVector q = ByteVector.fromArray(B, b, p + 2 + j);
            s = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, o + 16 + j), s);
        }
        return s;
    }

    private static FloatVector int8(byte[] b, int p) {
        return (FloatVector) ByteVector.fromArray(B, b, p).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float q8Dot(byte[] b, int base, int k, float[] x, int xo, Scratch sc) {
        FloatVector a = FloatVector.zero(F);
        for (int blk = 0, p = base, o = xo; blk < k / 32; blk++, p += 34, o += 32) {
            a = q8Block(b, p, x, o).fma(scale(b, p), a);
        }
        return lanes(a);
    }

    private static FloatVector q8Block(byte[] b, int p, float[] x, int o) {
        FloatVector s = FloatVector.zero(F);
        for (int j = 0; j < 32; j += LANES) {
            s = int8(b, p + 2 + j).fma(FloatVector.fromArray(F, x, o + j), s);
        }
        return s;
    }

    /** Widens row {@code n} of {@code w} into {@code dst[off, off + cols)}. */
    static void dequantizeRow(WeightTensor w, int n, float[] dst, int off, Scratch s) {
        int k = w.cols();
        s.ensure(k, w.rowBytes());
        switch (w.type()) {
            case F32 -> w.floats().get(n * k, dst, off, k);
            case F16 -> {
                w.shorts().get(n * k, s.shorts, 0, k);
                if (VECTOR_BLOCKS) {
                    f16Row(s.shorts, k, dst, off);
                } else {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = F16[s.shorts[i] & 0xFFFF];
                    }
                }
            }
            case BF16 -> {
                w.shorts().get(n * k, s.shorts, 0, k);
                if (VECTOR_BLOCKS) {
                    bf16Row(s.shorts, k, dst, off);
                } else {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = Float.intBitsToFloat((s.shorts[i] & 0xFFFF) << 16);
                    }
                }
            }
            case Q8_0, Q4_0 -> {
                if (!VECTOR_BLOCKS) {
                    w.dequantizeRowScalar(n, dst, off);
                } else {
                    w.data().get(n * w.rowBytes(), s.bytes, 0, w.rowBytes());
                    if (w.type() == GgmlType.Q8_0) {
                        q8Row(s.bytes, k / 32, dst, off);
                    } else {
                        q4Row(s.bytes, k / 32, dst, off);
                    }
                }
            }
            case Q4_K -> {
                w.data().get(n * w.rowBytes(), s.bytes, 0, w.rowBytes());
                q4kRow(s.bytes, k / 256, dst, off);
            }
            case Q6_K -> {
                w.data().get(n * w.rowBytes(), s.bytes, 0, w.rowBytes());
                q6kRow(s.bytes, k / 256, dst, off);
            }
            default -> throw new IllegalStateException(w.type().name());
        }
    }

    private static void f16Row(short[] h, int k, float[] dst, int off) {
        int i = 0;
        for (; i + LANES <= k; i += LANES) {
            IntVector v = ((IntVector) ShortVector.fromArray(H, h, i).convertShape(VectorOperators.S2I, I, 0))
                    .and(0xFFFF);
            IntVector sign = v.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector em = v.and(0x7FFF);
            FloatVector f = em.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1.0p112f);
            IntVector bits = f.reinterpretAsInts().or(sign);
            VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00);
            if (special.anyTrue()) {
                bits = bits.blend(em.lanewise(VectorOperators.LSHL, 13).or(0x70000000).or(sign)
                        .or(0x7F800000), special);
            }
            bits.reinterpretAsFloats().intoArray(dst, off + i);
        }
        for (; i < k; i++) {
            dst[off + i] = F16[h[i] & 0xFFFF];
        }
    }

    private static void bf16Row(short[] h, int k, float[] dst, int off) {
        int i = 0;
        for (; i + LANES <= k; i += LANES) {
            ((IntVector) ShortVector.fromArray(H, h, i).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, off + i);
        }
        for (; i < k; i++) {
            dst[off + i] = Float.intBitsToFloat((h[i] & 0xFFFF) << 16);
        }
    }

    /** Q8_0: per block of 32, an F16 scale d then 32 signed bytes; value = d·q. */
    private static void q8Row(byte[] b, int blocks, float[] dst, int off) {
        int o = off;
        for (int blk = 0, p = 0; blk < blocks; blk++, p += 34, o += 32) {
            float d = F16[(b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8];
            for (int j = 0; j < 32; j += LANES) {
                ((FloatVector) ByteVector.fromArray(B, b, p + 2 + j).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(dst, o + j);
            }
        }
    }

    /**
     * Q4_0: per block of 32, an F16 scale d then 16 bytes; element j &lt; 16 is the low nibble of byte j, element
     * 16 + j its high nibble; value = d·(nibble − 8).
     */
    private static void q4Row(byte[] b, int blocks, float[] dst, int off) {
        int o = off;
        for (int blk = 0, p = 0; blk < blocks; blk++, p += 18, o += 32) {
            float d = F16[(b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8];
            for (int j = 0; j < 16; j += LANES) {
                ByteVector q = ByteVector.fromArray(B, b, p + 2 + j);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, o + j);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, o + 16 + j);
            }
        }
    }

    /** Q4_K: super-blocks of 256 (ggml {@code block_q4_K}): d, dmin, 12 bytes of 6-bit scales/mins, 128 nibble bytes. */
    private static void q4kRow(byte[] b, int blocks, float[] dst, int off) {
        int o = off;
        for (int blk = 0, p = 0; blk < blocks; blk++, p += 144) {
            float d = F16[(b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8];
            float dmin = F16[(b[p + 2] & 0xFF) | (b[p + 3] & 0xFF) << 8];
            int s = p + 4;
            int q = p + 16;
            for (int chunk = 0; chunk < 4; chunk++) {
                int j0 = 2 * chunk;
                int j1 = j0 + 1;
                float d1 = d * scaleK4(b, s, j0);
                float m1 = dmin * minK4(b, s, j0);
                float d2 = d * scaleK4(b, s, j1);
                float m2 = dmin * minK4(b, s, j1);
                for (int l = 0; l < 32; l++) {
                    int v = b[q + l] & 0xFF;
                    dst[o + l] = d1 * (v & 0x0F) - m1;
                    dst[o + 32 + l] = d2 * (v >>> 4) - m2;
                }
                q += 32;
                o += 64;
            }
        }
    }

    static int scaleK4(byte[] b, int s, int j) {
        return j < 4 ? b[s + j] & 63 : (b[s + j + 4] & 0x0F) | (((b[s + j - 4] & 0xFF) >>> 6) << 4);
    }

    static int minK4(byte[] b, int s, int j) {
        return j < 4 ? b[s + j + 4] & 63 : ((b[s + j + 4] & 0xFF) >>> 4) | (((b[s + j] & 0xFF) >>> 6) << 4);
    }

    /** Q6_K: super-blocks of 256 (ggml {@code block_q6_K}): 128 low-nibble bytes, 64 high-bit bytes, 16 scales, d. */
    private static void q6kRow(byte[] b, int blocks, float[] dst, int off) {
        int o = off;
        for (int blk = 0, p = 0; blk < blocks; blk++, p += 210) {
            int ql = p;
            int qh = p + 128;
            int sc = p + 192;
            float d = F16[(b[p + 208] & 0xFF) | (b[p + 209] & 0xFF) << 8];
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo0 = b[ql + l] & 0xFF;
                    int lo1 = b[ql + l + 32] & 0xFF;
                    int hi = b[qh + l] & 0xFF;
                    dst[o + l] = d * b[sc + is] * (((lo0 & 0x0F) | ((hi & 3) << 4)) - 32);
                    dst[o + l + 32] = d * b[sc + is + 2] * (((lo1 & 0x0F) | (((hi >>> 2) & 3) << 4)) - 32);
                    dst[o + l + 64] = d * b[sc + is + 4] * (((lo0 >>> 4) | (((hi >>> 4) & 3) << 4)) - 32);
                    dst[o + l + 96] = d * b[sc + is + 6] * (((lo1 >>> 4) | (((hi >>> 6) & 3) << 4)) - 32);
                }
                o += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /** {@code Σ w[e]·x[xo + e]} for e in [0, k), in the fixed order described in the class comment. */
    static float dot(float[] w, float[] x, int xo, int k, Scratch s) {
        FloatVector a = FloatVector.zero(F);
        FloatVector b = FloatVector.zero(F);
        int e = 0;
        for (; e + 2 * LANES <= k; e += 2 * LANES) {
            a = FloatVector.fromArray(F, w, e).fma(FloatVector.fromArray(F, x, xo + e), a);
            b = FloatVector.fromArray(F, w, e + LANES).fma(FloatVector.fromArray(F, x, xo + e + LANES), b);
        }
        if (e + LANES <= k) {
            a = FloatVector.fromArray(F, w, e).fma(FloatVector.fromArray(F, x, xo + e), a);
            e += LANES;
        }
        float tail = 0f;
        for (; e < k; e++) {
            tail = Math.fma(w[e], x[xo + e], tail);
        }
        return lanes(a.add(b)) + tail;
    }

    /** Four rows of {@link #dot} at once (rows xo, xo+k, xo+2k, xo+3k), each in exactly {@link #dot}'s order. */
    private static void dot4(float[] w, float[] x, int xo, int k, Scratch s, float[] y, int yi, int ldy) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector b0 = a0;
        FloatVector a1 = a0;
        FloatVector b1 = a0;
        FloatVector a2 = a0;
        FloatVector b2 = a0;
        FloatVector a3 = a0;
        FloatVector b3 = a0;
        int x1 = xo + k;
        int x2 = x1 + k;
        int x3 = x2 + k;
        int e = 0;
        for (; e + 2 * LANES <= k; e += 2 * LANES) {
            FloatVector wa = FloatVector.fromArray(F, w, e);
            FloatVector wb = FloatVector.fromArray(F, w, e + LANES);
            a0 = wa.fma(FloatVector.fromArray(F, x, xo + e), a0);
            b0 = wb.fma(FloatVector.fromArray(F, x, xo + e + LANES), b0);
            a1 = wa.fma(FloatVector.fromArray(F, x, x1 + e), a1);
            b1 = wb.fma(FloatVector.fromArray(F, x, x1 + e + LANES), b1);
            a2 = wa.fma(FloatVector.fromArray(F, x, x2 + e), a2);
            b2 = wb.fma(FloatVector.fromArray(F, x, x2 + e + LANES), b2);
            a3 = wa.fma(FloatVector.fromArray(F, x, x3 + e), a3);
            b3 = wb.fma(FloatVector.fromArray(F, x, x3 + e + LANES), b3);
        }
        if (e + LANES <= k) {
            FloatVector wa = FloatVector.fromArray(F, w, e);
            a0 = wa.fma(FloatVector.fromArray(F, x, xo + e), a0);
            a1 = wa.fma(FloatVector.fromArray(F, x, x1 + e), a1);
            a2 = wa.fma(FloatVector.fromArray(F, x, x2 + e), a2);
            a3 = wa.fma(FloatVector.fromArray(F, x, x3 + e), a3);
            e += LANES;
        }
        float t0 = 0f;
        float t1 = 0f;
        float t2 = 0f;
        float t3 = 0f;
        for (; e < k; e++) {
            t0 = Math.fma(w[e], x[xo + e], t0);
            t1 = Math.fma(w[e], x[x1 + e], t1);
            t2 = Math.fma(w[e], x[x2 + e], t2);
            t3 = Math.fma(w[e], x[x3 + e], t3);
        }
        y[yi] = lanes(a0.add(b0)) + t0;
        y[yi + ldy] = lanes(a1.add(b1)) + t1;
        y[yi + 2 * ldy] = lanes(a2.add(b2)) + t2;
        y[yi + 3 * ldy] = lanes(a3.add(b3)) + t3;
    }

    /**
     * Sum of the lanes as a fixed tree, {@code ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7))} for eight lanes (halves added
     * lanewise, log2(LANES) times), unlike {@code reduceLanes}, whose order is unspecified. Lanewise adds and
     * rearranges are exact operations, so the interpreted, C1 and C2 forms give the same bits; three shuffles and
     * adds replace the store and eight dependent scalar adds of a sequential sum (which cost 30% of an eight-row
     * twin-150M forward, JFR).
     */
    private static float lanes(FloatVector v) {
        for (VectorShuffle<Float> h : HALVES) {
            v = v.add(v.rearrange(h));
        }
        return v.lane(0);
    }

    /** Fixed-order dot product of two float arrays (attention scores); same order as the matmul rows. */
    public static float dot(float[] a, int ao, float[] b, int bo, int k, Scratch s) {
        FloatVector acc = FloatVector.zero(F);
        int e = 0;
        for (; e + LANES <= k; e += LANES) {
            acc = FloatVector.fromArray(F, a, ao + e).fma(FloatVector.fromArray(F, b, bo + e), acc);
        }
        float sum = lanes(acc);
        for (; e < k; e++) {
            sum = Math.fma(a[ao + e], b[bo + e], sum);
        }
        return sum;
    }

    /** {@code y[yo + e] += p · v[vo + e]} for e in [0, k). */
    public static void axpy(float p, float[] v, int vo, float[] y, int yo, int k) {
        int e = 0;
        for (; e + LANES <= k; e += LANES) {
            FloatVector.fromArray(F, v, vo + e).fma(FloatVector.broadcast(F, p), FloatVector.fromArray(F, y, yo + e))
                    .intoArray(y, yo + e);
        }
        for (; e < k; e++) {
            y[yo + e] = Math.fma(p, v[vo + e], y[yo + e]);
        }
    }

    /** SwiGLU {@code out[i] = g·sigmoid(g)·u} with {@code g = gate[i]}, {@code u = up[i]}, i in [0, n). */
    public static void swiglu(float[] gate, float[] up, float[] out, int n) {
        for (int j = 0; j < n; j += LANES) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector g = FloatVector.fromArray(F, gate, j, m);
            FloatVector u = FloatVector.fromArray(F, up, j, m);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(e).mul(u).intoArray(out, j, m);
        }
    }
}
