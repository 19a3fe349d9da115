package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.testing.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The training forward ({@link TrainableLlama}) and the inference forward ({@link LlamaModel}, both kernels, with
 * its folded norms and fused RoPE) compute the same function: logits and final hidden states agree to 1e-5
 * (relative to max(1, |value|)) on random weights, per batch row, for GQA with and without q/k/v bias.
 */
class TrainableLlamaTest {
    static final LlamaConfig GQA = new LlamaConfig(32, 48, 2, 4, 2, 8, 50, 64, 1e-5f, 10000f, false, false, 1, 2);
    static final LlamaConfig BIAS_TIED =
            new LlamaConfig(48, 72, 3, 6, 3, 8, 40, 32, 1e-5f, 10000f, true, true, 1, 2);

    @ParameterizedTest
    @ValueSource(strings = {"torch", "vector"})
    void trainingForwardEqualsInferenceForward(String kernel) {
        for (LlamaConfig cfg : new LlamaConfig[] {GQA, BIAS_TIED}) {
            LlamaWeights w = TestModels.random(cfg, 11, 0.1f);
            int t = 13;
            int[][] rows = new int[2][t];
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < t; i++) {
                    rows[r][i] = (7 * i + 3 + 11 * r) % cfg.vocabSize();
                }
            }
            float[] logits;
            float[] hidden;
            try (TrainableLlama tl = TrainableLlama.of(w); NDManager m = SpecdecEngine.newManager()) {
                int[] flat = new int[2 * t];
                System.arraycopy(rows[0], 0, flat, 0, t);
                System.arraycopy(rows[1], 0, flat, t, t);
                TrainableLlama.Output o = tl.forward(m, m.create(flat, new Shape(2, t)));
                assertEquals(new Shape(2, t, cfg.vocabSize()), o.logits().getShape());
                assertEquals(new Shape(2, t, cfg.dim()), o.hidden().getShape());
                logits = o.logits().toFloatArray();
                hidden = o.hidden().toFloatArray();
            }
            try (LlamaModel model = new LlamaModel(w, kernel)) {
                for (int r = 0; r < 2; r++) {
                    try (KvCache cache = model.newCache(t);
                            ForwardResult ref = model.forward(cache, rows[r], ForwardOptions.DEFAULT.withLastHidden())) {
                        close(ref.logits(), logits, r * t * cfg.vocabSize(), "logits row " + r + " " + kernel);
                        close(ref.lastHidden(), hidden, r * t * cfg.dim(), "hidden row " + r + " " + kernel);
                    }
                }
            }
        }
    }

    /** The input-rows forward (what EAGLE's layer trains and drafts through) agrees the same way. */
    @ParameterizedTest
    @ValueSource(strings = {"torch", "vector"})
    void inputRowsForwardEqualsInferenceForward(String kernel) {
        LlamaConfig cfg = GQA;
        LlamaWeights w = TestModels.random(cfg, 13, 0.1f);
        int t = 9;
        float[] in = new float[t * cfg.dim()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) r.nextGaussian();
        }
        float[] logits;
        float[] hidden;
        try (TrainableLlama tl = TrainableLlama.of(w); NDManager m = SpecdecEngine.newManager()) {
            TrainableLlama.Output o = tl.forwardEmbeddings(m, m.create(in, new Shape(1, t, cfg.dim())));
            logits = o.logits().toFloatArray();
            hidden = o.hidden().toFloatArray();
        }
        int[] pos = new int[t];
        for (int i = 0; i < t; i++) {
            pos[i] = i;
        }
        try (LlamaModel model = new LlamaModel(w, kernel); KvCache cache = model.newCache(t);
                ForwardResult ref = model.forwardEmbeddings(cache, in, pos, null,
                        ForwardOptions.DEFAULT.withLastHidden())) {
            close(ref.logits(), logits, 0, "logits " + kernel);
            close(ref.lastHidden(), hidden, 0, "hidden " + kernel);
        }
    }

    private static void close(float[] ref, float[] got, int offset, String what) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(ref[i] - got[offset + i]) / Math.max(1, Math.abs(ref[i]));
            worst = Math.max(worst, err);
        }
        assertTrue(worst <= 1e-5, what + ": worst relative error " + worst);
    }

    @Test
    void gradientsReachEveryTrainableParameter() {
        LlamaWeights w = TestModels.random(GQA, 5, 0.2f);
        try (TrainableLlama tl = TrainableLlama.of(w); NDManager m = SpecdecEngine.newManager()) {
            tl.setTrainable(n -> !n.equals("embedding"));
            try (GradientCollector gc = SpecdecEngine.engine().newGradientCollector()) {
                NDArray ids = m.create(new int[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6));
                gc.backward(tl.forward(m, ids).logits().square().mean());
            }
            for (var e : tl.parameters().entrySet()) {
                if (e.getKey().equals("embedding")) {
                    assertTrue(!e.getValue().hasGradient(), "frozen embedding got a gradient");
                    continue;
                }
                try (NDArray g = e.getValue().getGradient()) {
                    assertTrue(g.abs().sum().getFloat() > 0, "no gradient for " + e.getKey());
                }
            }
        }
    }

    /**
     * S2D's nested exits: the logits after each exit of {@code forwardExits} equal the inference forward of the model
     * made of that many layers ({@link DraftModels#exit}), per batch row, on both kernels.
     */
    @ParameterizedTest
    @ValueSource(strings = {"torch", "vector"})
    void everyExitEqualsTheModelOfThatManyLayers(String kernel) {
        LlamaConfig cfg = BIAS_TIED; // three layers
        LlamaWeights w = TestModels.random(cfg, 17, 0.1f);
        int t = 7;
        int[] row = new int[t];
        for (int i = 0; i < t; i++) {
            row[i] = (5 * i + 2) % cfg.vocabSize();
        }
        int[] exits = {1, 2, 3};
        java.util.List<float[]> got = new java.util.ArrayList<>();
        try (TrainableLlama tl = TrainableLlama.of(w); NDManager m = SpecdecEngine.newManager()) {
            for (ai.djl.ndarray.NDArray a : tl.forwardExits(m, m.create(row, new Shape(1, t)), exits)) {
                got.add(a.toFloatArray());
            }
        }
        for (int e = 0; e < exits.length; e++) {
            LlamaWeights sub = DraftModels.exit(w, exits[e]);
            assertEquals(exits[e], sub.config().layers());
            try (LlamaModel model = new LlamaModel(sub, kernel); KvCache cache = model.newCache(t);
                    ForwardResult ref = model.forward(cache, row, ForwardOptions.DEFAULT)) {
                close(ref.logits(), got.get(e), 0, "exit " + exits[e] + " " + kernel);
            }
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DraftModels.exit(w, 4));
    }
}
