package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.testing.SharedAssets;
import org.junit.jupiter.api.Test;

/** A cost twin computes the original's function: logits within 1e-4 and identical greedy output. */
class InflationTest {
    private static float[] logits(LlamaModel m, int[] ids) {
        try (KvCache c = m.newCache(ids.length)) {
            return m.forward(c, ids, ForwardOptions.DEFAULT).logits();
        }
    }

    @Test
    void twinOfStories260KHasTheSameLogitsAndGreedyOutput() {
        LoadedModel lm = ModelLoader.load(SharedAssets.require("models/stories260K.gguf"));
        // wider residual (64 → 256), head dim 8 → 32, MLP 172 → 400, 5 → 7 layers, GQA ratio 2 kept
        Inflation.Shape shape = new Inflation.Shape(256, 8, 4, 32, 400, 7);
        LlamaWeights twin = Inflation.inflate(lm.weights(), shape, 7);
        assertEquals(7, twin.config().layers());
        assertTrue(twin.config().parameterCount() > 4 * lm.config().parameterCount());
        try (LlamaModel a = new LlamaModel(lm.weights()); LlamaModel b = new LlamaModel(twin)) {
            for (SharedAssets.Golden g : SharedAssets.golden("stories260K-greedy.jsonl")) {
                int[] ids = java.util.Arrays.copyOf(g.ids(), 48);
                float[] x = logits(a, ids);
                float[] y = logits(b, ids);
                float max = 0;
                for (int i = 0; i < x.length; i++) {
                    max = Math.max(max, Math.abs(x[i] - y[i]));
                }
                assertTrue(max <= 1e-4, "twin logits differ by " + max + " on '" + g.prompt() + "'");
                int[] argmax = new int[47];
                for (int i = 0; i < 47; i++) {
                    int best = 0;
                    for (int v = 1; v < 512; v++) {
                        if (y[i * 512 + v] > y[i * 512 + best]) {
                            best = v;
                        }
                    }
                    argmax[i] = best;
                }
                assertArrayEquals(java.util.Arrays.copyOf(g.argmax(), 47), argmax, "greedy of the twin");
            }
        }
    }

    @Test
    void standardTwinSizesAndShapeChecks() {
        LoadedModel lm = ModelLoader.load(SharedAssets.require("models/stories260K.gguf"));
        LlamaWeights t25 = Inflation.inflate(lm.weights(), Inflation.TWIN_25M, 1);
        long p = t25.config().parameterCount();
        assertTrue(p > 20_000_000 && p < 30_000_000, "twin-25M has " + p + " parameters");
        assertThrows(IllegalArgumentException.class,
                () -> Inflation.inflate(lm.weights(), new Inflation.Shape(512, 8, 8, 64, 1376, 8), 1),
                "GQA ratio must be kept");
        assertThrows(IllegalArgumentException.class,
                () -> Inflation.inflate(lm.weights(), new Inflation.Shape(480, 8, 4, 60, 1376, 8), 1),
                "head dim must grow by a whole factor");
    }
}
