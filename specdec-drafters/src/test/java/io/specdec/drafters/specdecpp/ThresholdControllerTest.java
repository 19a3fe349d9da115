package io.specdec.drafters.specdecpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.CandidateLengthController.DraftStep;
import io.specdec.speculation.CostCurve;
import io.specdec.testing.TestModels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threshold rule against hand-computed products, the derived threshold against its formula, the head's host
 * arithmetic against the training (DJL) arithmetic, and the head file's round trip and errors.
 */
class ThresholdControllerTest {
    static final LlamaConfig DRAFT = new LlamaConfig(8, 16, 1, 2, 1, 4, 12, 32, 1e-5f, 10000f, false, false, 1, 2);

    /** A head that predicts {@code a} for every hidden state: no blocks, zero weights, bias log(a / (1 - a)). */
    static AcceptanceHead constant(float a) {
        AcceptanceHead h = AcceptanceHead.init(DRAFT, 0, 1);
        Map<String, float[]> v = new LinkedHashMap<>();
        v.put("acc.out.w", new float[2 * DRAFT.dim()]);
        v.put("acc.out.b", new float[] {0f, (float) Math.log(a / (1 - a))});
        return h.with(v);
    }

    static int drafted(ThresholdController c, int budget) {
        int k = 0;
        float[] hidden = new float[DRAFT.dim()];
        while (k < c.nextBudget(budget) && c.continueDrafting(new DraftStep(k + 1, 3, 0.5f, 0.5f, hidden))) {
            k++;
        }
        return k;
    }

    @Test
    void stopsWhenThePredictedRejectionProbabilityPassesTheThreshold() {
        // a = 0.8: 1 - Π a before token k is 0, 0.2, 0.36, 0.488, 0.5904 → with h = 0.5 tokens 1..4 are drafted
        ThresholdController c = new ThresholdController(constant(0.8f), 0.5f, 1, 8, null);
        assertEquals(0.8f, constant(0.8f).accept(new float[DRAFT.dim()]), 1e-6f);
        assertEquals(4, drafted(c, 16));
        assertEquals(4, drafted(c, 16), "the product restarts every round");
        assertEquals(2, drafted(new ThresholdController(constant(0.8f), 0.3f, 1, 8, null), 16));
        assertEquals(3, drafted(new ThresholdController(constant(0.8f), 0.1f, 3, 8, null), 16), "K_min forces 3");
        assertEquals(6, drafted(new ThresholdController(constant(0.99f), 0.5f, 1, 6, null), 16), "K_max caps");
        ThresholdController noHidden = new ThresholdController(constant(0.1f), 0.5f, 1, 5, null);
        for (int k = 1; k <= 5; k++) {
            assertTrue(noHidden.continueDrafting(new DraftStep(k, 3, 0.5f, 0.5f, null)), "no head input: no stop");
        }
        assertThrows(IllegalArgumentException.class, () -> new ThresholdController(constant(0.8f), 1.5f, 1, 8, null));
        assertThrows(IllegalArgumentException.class, () -> new ThresholdController(constant(0.8f), 0.5f, 3, 2, null));
    }

    @Test
    void derivedThresholdFollowsTheCostCurve() {
        double[] us = new double[CostCurve.SIZES.length];
        for (int i = 0; i < us.length; i++) {
            us[i] = 1000 + 100.0 * (CostCurve.SIZES[i] - 1); // c(T) = 1000 + 100 (T - 1) µs
        }
        ThresholdController c = new ThresholdController(constant(0.8f), null, 1, 8, CostCurve.of(us));
        // no draft measured yet: h_k = 1 - (0 + c(k+1) - c(k)) / c(1) = 1 - 100 / 1000 for every k here
        assertEquals(0.9, c.threshold(), 1e-9);
        assertEquals("specdec++(derived h)", c.name());
        // token k is drafted while 0.8^k >= 0.1: 0.8^10 = 0.107, 0.8^11 = 0.086 -> 8 (K_max)
        assertEquals(8, drafted(c, 16));
        // a wall: c(3) -> c(4) costs 5,100 µs more; every end K' >= 3 gains at most 1000 (0.512 + ... + 0.168) =
        // 1,890 µs, less than it costs, so drafting stops after 2
        double[] knee = us.clone();
        for (int i = 0; i < knee.length; i++) {
            if (CostCurve.SIZES[i] >= 4) {
                knee[i] += 5000;
            }
        }
        ThresholdController k = new ThresholdController(constant(0.8f), null, 1, 8, CostCurve.of(knee));
        assertEquals(2, drafted(k, 16));
        // a dear step then cheap ones: c(3) -> c(4) costs +600 µs, later steps +10 µs each; from token 3 on, drafting
        // up to K' = 8 gains 1000 (0.512 + ... + 0.168) = 2.0 steps of 1000 µs against 600 + 4·10 + ... µs: it pays
        double[] step = new double[us.length];
        for (int i = 0; i < step.length; i++) {
            int t = CostCurve.SIZES[i];
            step[i] = t < 4 ? 1000 + 100.0 * (t - 1) : 1800 + 10.0 * (t - 4);
        }
        assertEquals(8, drafted(new ThresholdController(constant(0.8f), null, 1, 8, CostCurve.of(step)), 16),
                "the lookahead sees past the dear step");
    }

    @Test
    void hostArithmeticEqualsTheTrainingArithmetic() {
        LlamaConfig cfg = new LlamaConfig(16, 32, 1, 2, 1, 8, 12, 32, 1e-5f, 10000f, false, false, 1, 2);
        LlamaWeights w = TestModels.random(cfg, 5, 0.2f);
        AcceptanceHead h = AcceptanceHead.init(cfg, 3, 4);
        java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String n : h.tensors().keySet()) {
            float[] t = h.tensor(n).clone();
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * 0.3);
            }
            v.put(n, t);
        }
        AcceptanceHead head = h.with(v);
        float[] hidden = new float[3 * cfg.dim()];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) r.nextGaussian();
        }
        try (AcceptanceHeadTrainer t = new AcceptanceHeadTrainer(head, w, w, 0.15f, 6f, 1);
                NDManager m = SpecdecEngine.newManager()) {
            NDArray lp = t.logProbs(m.create(hidden, new Shape(1, 3, cfg.dim())))[0];
            float[] djl = lp.exp().toFloatArray();
            for (int i = 0; i < 3; i++) {
                float host = head.score(java.util.Arrays.copyOfRange(hidden, i * cfg.dim(), (i + 1) * cfg.dim()));
                assertEquals(djl[i], host, 1e-5f, "row " + i);
            }
        }
    }

    @Test
    void headFileRoundTripAndWrongDraftError(@TempDir Path dir) throws Exception {
        AcceptanceHead h = constant(0.7f);
        Path f = dir.resolve("acc.gguf");
        h.save(f);
        AcceptanceHead back = AcceptanceHead.load(f);
        assertEquals(DRAFT, back.draft());
        assertEquals(1f, back.rejectWeight());
        AcceptanceHead six = h.withRejectWeight(6f);
        six.save(f);
        assertEquals(6f, AcceptanceHead.load(f).rejectWeight());
        // a raw score a of a weight-6 head means y = 6a / (1 - a + 6a): 0.25 -> 2/3
        assertEquals(2f / 3, AcceptanceHead.calibrate(0.25f, 6f), 1e-6f);
        float raw = six.score(new float[DRAFT.dim()]);
        assertEquals(AcceptanceHead.calibrate(raw, 6f), six.accept(new float[DRAFT.dim()]), 1e-6f);
        assertArrayEquals(h.tensor("acc.out.b"), back.tensor("acc.out.b"));
        LlamaConfig wider = new LlamaConfig(16, 16, 1, 2, 1, 8, 12, 32, 1e-5f, 10000f, false, false, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> back.requireDraft(wider,
                "acc.gguf"));
        assertEquals("acc.gguf: the acceptance head was trained for a draft with hidden size 8, this draft has 16",
                e.getMessage());
        Path other = dir.resolve("m.gguf");
        io.specdec.io.CheckpointWriter.writeGguf(TestModels.random(DRAFT, 1, 0.1f), null, other);
        e = assertThrows(IllegalArgumentException.class, () -> AcceptanceHead.load(other));
        assertTrue(e.getMessage().contains("expected 'specdec-acceptance-head'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
