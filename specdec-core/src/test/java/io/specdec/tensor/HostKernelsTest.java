package io.specdec.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The host kernels against the definition: for every storage type, {@code y = x·Wᵀ} on the packed blocks equals a
 * double-precision matmul on the weights widened by the scalar decoder ({@link GgmlType#dequantize}, itself checked
 * against hand-computed blocks in {@link GgmlTypeTest}); a row computed alone equals the same row computed in a batch
 * of 7, bit for bit; the thread pool gives the same bits as one thread; quantisation round-trips within the type's
 * step.
 */
class HostKernelsTest {
    private static WeightTensor tensor(GgmlType type, float[] w, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize((long) rows * cols)).order(ByteOrder.LITTLE_ENDIAN);
        type.quantize(w, 0, (long) rows * cols, b);
        b.flip();
        return new WeightTensor("w", type, rows, cols, b);
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matmulMatchesTheWidenedDefinitionAndIsBatchInvariant(GgmlType type) {
        for (int t : new int[] {2, 3, 5, 7}) { // groups of four, the rows left over, and both
            matmulCase(type, t);
        }
    }

    private static void matmulCase(GgmlType type, int t) {
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 37;
        int k = type.blockSize() == 256 ? 512 : type.blockSize() == 32 ? 96 : 67;
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        WeightTensor wt = tensor(type, w, n, k);
        float[] widened = new float[n * k];
        ByteBuffer data = wt.data().duplicate();
        type.dequantize(data, (long) n * k, widened, 0);
        float[] x = new float[t * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] y = new float[t * n];
        HostKernels.matmul(wt, x, t, y, n, 0, 0, n, HostKernels.scratch());
        for (int r = 0; r < t; r++) {
            float[] one = new float[n];
            HostKernels.matmul(wt, java.util.Arrays.copyOfRange(x, r * k, (r + 1) * k), 1, one, n, 0, 0, n,
                    HostKernels.scratch());
            assertArrayEquals(one, java.util.Arrays.copyOfRange(y, r * n, (r + 1) * n),
                    type + ": row " + r + " computed alone differs from the batch");
            for (int j = 0; j < n; j++) {
                double e = 0;
                for (int q = 0; q < k; q++) {
                    e += (double) x[r * k + q] * widened[j * k + q];
                }
                assertEquals(e, y[r * n + j], 1e-3 * (1 + Math.abs(e)), type + " y[" + r + "," + j + "]");
            }
        }
        float[] row = new float[k];
        wt.dequantizeRow(5, row, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(widened, 5 * k, 6 * k), row, type + " row widening");
        // the pool splits rows between threads: same bits
        float[] pooled = new float[t * n];
        try (HostThreads pool = new HostThreads(3)) {
            pool.run(n, (j, s) -> HostKernels.matmul(wt, x, t, pooled, n, j, j, j + 1, s));
        }
        assertArrayEquals(y, pooled, type + ": 3 threads differ from 1");
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void quantisationRoundTripsWithinTheTypesStep(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 512;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
        type.quantize(w, 0, n, b);
        assertEquals(b.capacity(), b.position(), "bytes written");
        b.flip();
        float[] back = new float[n];
        type.dequantize(b, n, back, 0);
        double maxErr = 0;
        for (int i = 0; i < n; i++) {
            maxErr = Math.max(maxErr, Math.abs(back[i] - w[i]));
        }
        // |w| < ~4: Q4 steps are ~max/8, Q6_K ~max/32, Q8_0 ~max/127, halves ~2^-11 relative
        double bound = switch (type) {
            case F32 -> 0;
            case F16 -> 4e-3;
            case BF16 -> 3e-2;
            case Q8_0 -> 0.03;
            case Q6_K -> 0.1;
            case Q4_0, Q4_K -> 0.5;
        };
        assertTrue(maxErr <= bound, type + " round trip error " + maxErr + " > " + bound);
    }
}
