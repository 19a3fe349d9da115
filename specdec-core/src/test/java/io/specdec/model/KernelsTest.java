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

    static final LlamaConfig GQA_BIAS =
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

    private static io.specdec.tensor.WeightTensor q8(String name, float[] w, int rows, int cols) {
        io.specdec.tensor.GgmlType t = io.specdec.tensor.GgmlType.Q8_0;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) t.byteSize((long) rows * cols))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        t.quantize(w, 0, (long) rows * cols, b);
        b.flip();
        return new io.specdec.tensor.WeightTensor(name, t, rows, cols, b);
    }

    /**
     * Q8_0 blocks on both backends: the host computes on the blocks, the torch backend uploads them widened to
     * float16 (what it does on a GPU, forced here on the CPU) and never to float32; logits agree to F16 rounding.
     */
    @Test
    void quantizedWeightsRunOnBothBackendsAndTorchHoldsThemAsFloat16() {
        LlamaConfig c = new LlamaConfig(64, 96, 2, 4, 2, 16, 40, 32, 1e-5f, 10000f, false, false, 1, 2);
        LlamaWeights w = TestModels.random(c, 9, 0.2f);
        int d = c.dim();
        List<LlamaTensors.Layer> layers = new java.util.ArrayList<>();
        for (LlamaWeights.Layer l : w.layers()) {
            layers.add(new LlamaTensors.Layer(l.attnNorm(), q8("q", l.wq(), c.qDim(), d), q8("k", l.wk(), c.kvDim(), d),
                    q8("v", l.wv(), c.kvDim(), d), q8("o", l.wo(), d, c.qDim()), l.ffnNorm(),
                    q8("g", l.wGate(), c.hiddenDim(), d), q8("u", l.wUp(), c.hiddenDim(), d),
                    q8("dn", l.wDown(), d, c.hiddenDim()), null, null, null));
        }
        LlamaTensors t = new LlamaTensors(c, w.layout(), q8("emb", w.embedding(), c.vocabSize(), d), layers,
                w.finalNorm(), q8("out", w.output(), c.vocabSize(), d));
        int[] prompt = {1, 4, 9, 16, 25, 36};
        float[][] logits = new float[2][];
        String old = System.getProperty(TorchForward.DTYPE_PROPERTY);
        System.setProperty(TorchForward.DTYPE_PROPERTY, "f16");
        try {
            for (int k = 0; k < 2; k++) {
                try (LlamaModel m = new LlamaModel(t, null, k == 0 ? "torch" : "vector");
                        KvCache cache = m.newCache(16)) {
                    logits[k] = m.forward(cache, prompt, ForwardOptions.DEFAULT).logits();
                    if (k == 0) {
                        long matrices = 2L * c.vocabSize() * d + (long) c.layers() * ((long) (c.qDim() + 2 * c.kvDim())
                                * d + (long) d * c.qDim() + 3L * c.hiddenDim() * d);
                        long norms = d + 2L * c.layers() * d;
                        assertEquals(2 * matrices + 4 * norms, m.weightBytes(), "float16 matrices, float32 norms");
                    }
                }
            }
        } finally {
            if (old == null) {
                System.clearProperty(TorchForward.DTYPE_PROPERTY);
            } else {
                System.setProperty(TorchForward.DTYPE_PROPERTY, old);
            }
        }
        float scale = 0f;
        for (float v : logits[1]) {
            scale = Math.max(scale, Math.abs(v));
        }
        float diff = LlamaModelTest.maxDiff(logits[0], logits[1]);
        assertTrue(diff <= 5e-3f * Math.max(1f, scale), "float16 torch vs Q8_0 host logits differ by " + diff
                + " (max |logit| " + scale + ")");
        assertTrue(diff > 0f, "the torch backend computed in float16, so some rounding must show");
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
