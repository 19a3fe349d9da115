package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.specdec.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The two kernels ({@link Kernels}) compute the same function: every output a forward can return (logits of all
 * or the last row, the final hidden state, residual streams after layers, early exit, tree masks, device arrays,
 * device argmax) agrees between {@code torch} and {@code vector} to float rounding. The scalar reference checks
 * both in {@link LlamaModelTest}.
 */
class KernelsTest {
    /** The kernels this JVM can run: {@code torch} always, {@code vector} with the Vector API module. */
    static List<String> kernels() {
        return Kernels.vectorAvailable() ? List.of("torch", "vector") : List.of("torch");
    }

    private static final LlamaConfig GQA_BIAS =
            new LlamaConfig(48, 72, 3, 6, 2, 8, 40, 32, 1e-5f, 10000f, false, true, 1, 2);

    @Test
    void theBuildRunsTheVectorKernel() {
        assertTrue(Kernels.vectorAvailable(), "the tests run with --add-modules jdk.incubator.vector (surefire"
                + " argLine): without it the vector kernel would go untested");
    }

    @Test
    void everyOutputAgreesBetweenKernels() {
        LlamaWeights w = TestModels.random(GQA_BIAS, 3, 0.2f);
        int[] prompt = {1, 4, 9, 16, 25, 36};
        int[] tree = {7, 8, 9, 10, 11};
        AttentionMask mask = AttentionMask.tree(new int[] {-1, 0, 0, 1, -1});
        int[] pos = {6, 7, 7, 8, 6};
        ForwardOptions opts = ForwardOptions.DEFAULT.withLastHidden().withHiddenLayers(1, 3).withDeviceOutputs();
        float[][][] out = new float[2][][];
        int[][] argmax = new int[2][];
        for (int k = 0; k < 2; k++) {
            try (LlamaModel m = new LlamaModel(w, k == 0 ? "torch" : "vector"); KvCache cache = m.newCache(32)) {
                m.forward(cache, prompt, ForwardOptions.LAST_ROW).close();
                try (ForwardResult r = m.forward(cache, tree, pos, mask, opts)) {
                    NDArray hidden = r.lastHiddenArray();
                    assertEquals(new ai.djl.ndarray.types.Shape(5, 48), hidden.getShape());
                    argmax[k] = r.argmaxRows();
                    out[k] = new float[][] {r.logits(), r.lastHidden(), r.layerHidden(0), r.layerHidden(1),
                        hidden.toFloatArray(), r.layerHiddenArray(1).toFloatArray(), r.logitsArray().toFloatArray()};
                }
                try (ForwardResult early = m.forward(cache, new int[] {3}, ForwardOptions.LAST_ROW.withExitLayer(2))) {
                    float[][] withEarly = java.util.Arrays.copyOf(out[k], out[k].length + 1);
                    withEarly[out[k].length] = early.logits();
                    out[k] = withEarly;
                }
            }
        }
        for (int i = 0; i < out[0].length; i++) {
            float d = LlamaModelTest.maxDiff(out[0][i], out[1][i]);
            assertTrue(d < 1e-4, "output " + i + " differs between kernels by " + d);
        }
        assertArrayEquals(argmax[0], argmax[1], "device argmax of the tree rows");
        for (int r = 0; r < 5; r++) {
            assertEquals(io.specdec.sampling.Distributions.argmax(out[0][0], r * 40, 40), argmax[0][r],
                    "argmax row " + r);
        }
    }

    @Test
    void lastRowOnlyAndCacheContentsAgree() {
        LlamaWeights w = TestModels.random(GQA_BIAS, 5, 0.2f);
        float[][] keys = new float[2][];
        float[][] last = new float[2][];
        for (int k = 0; k < 2; k++) {
            try (LlamaModel m = new LlamaModel(w, k == 0 ? "torch" : "vector"); KvCache cache = m.newCache(16)) {
                last[k] = m.forward(cache, new int[] {2, 3, 5, 7, 11}, ForwardOptions.LAST_ROW).logits();
                keys[k] = cache.keysOf(2);
            }
        }
        assertEquals(40, last[0].length);
        assertTrue(LlamaModelTest.maxDiff(last[0], last[1]) < 1e-4, "last-row logits");
        assertTrue(LlamaModelTest.maxDiff(keys[0], keys[1]) < 1e-4, "cached keys after RoPE");
    }

    @Test
    void badKernelNamesAreOneLineErrors() {
        LlamaWeights w = TestModels.random(GQA_BIAS, 5, 0.2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LlamaModel(w, "fast"));
        assertEquals("kernel must be auto, torch or vector, found 'fast'", e.getMessage());
        String old = System.getProperty(Kernels.PROPERTY);
        System.setProperty(Kernels.PROPERTY, "gpu");
        try {
            IllegalArgumentException p = assertThrows(IllegalArgumentException.class, Kernels::requested);
            assertEquals("specdec.kernel must be auto, torch or vector, found 'gpu'", p.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(Kernels.PROPERTY);
            } else {
                System.setProperty(Kernels.PROPERTY, old);
            }
        }
    }
}
