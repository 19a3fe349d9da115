package io.specdec.drafters.specdecpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.GgufWriter;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DraftGate;
import io.specdec.speculation.DraftSignals;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threshold rule against hand-computed products, the derived threshold against its formula, the head's
 * backpropagation against numerical differentiation, and the head file's round trip and errors.
 */
class ThresholdControllerTest {
    static final int F = 4;

    /** A head that predicts {@code a} for every input: zero output weights, bias log(a / (1 - a)). */
    static AcceptanceHead constant(float a) {
        AcceptanceHead h = AcceptanceHead.init("draft-model", F, 4, 0, 1);
        Map<String, float[]> v = new LinkedHashMap<>();
        v.put("acc.out.w", new float[4]);
        v.put("acc.out.b", new float[] {(float) Math.log(a / (1 - a))});
        return h.with(v);
    }

    /** Tokens drafted in one round through the chain gate (what a draft model does). */
    static int drafted(ThresholdController c, int budget) {
        c.begin(SamplingConfig.GREEDY);
        DraftGate.Chain g = new DraftGate.Chain(c);
        int k = 0;
        DraftSignals s = new DraftSignals(0.5f, 0.5f, 0.1f, 1f, new float[F]);
        while (k < c.nextBudget(budget) && g.admit(3, s, false)) {
            k++;
        }
        return k;
    }

    @Test
    void stopsWhenThePredictedRejectionProbabilityPassesTheThreshold() {
        // a = 0.8: 1 - Π a before token k is 0, 0.2, 0.36, 0.488, 0.5904 → with h = 0.5 tokens 1..4 are drafted
        ThresholdController c = new ThresholdController(constant(0.8f), 0.5f, 1, 8, null);
        assertEquals(0.8f, constant(0.8f).accept(new float[F + AcceptanceFeatures.SCALARS]), 1e-6f);
        assertEquals(4, drafted(c, 16));
        assertEquals(4, drafted(c, 16), "the product restarts every round");
        assertEquals(2, drafted(new ThresholdController(constant(0.8f), 0.3f, 1, 8, null), 16));
        assertEquals(3, drafted(new ThresholdController(constant(0.8f), 0.1f, 3, 8, null), 16), "K_min forces 3");
        assertEquals(6, drafted(new ThresholdController(constant(0.99f), 0.5f, 1, 6, null), 16), "K_max caps");
        ThresholdController none = new ThresholdController(constant(0.1f), 0.5f, 1, 5, null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DraftGate.Chain(none).admit(3, null, false));
        assertTrue(e.getMessage().contains("no signals"), e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> new DraftGate.Chain(none).admit(3, new DraftSignals(1, 1, 1, 0, new float[F + 1]), false));
        assertEquals("the acceptance head reads 4 features per drafted token, the drafter gave 5", w.getMessage());
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
        // rate E(K)/c(K+1) with E(K) = 1 + Σ 0.8^j: r(5) = 3.689/1500 = 0.002459, r(6) = 3.951/1600 = 0.002469,
        // r(7) = 4.161/1700 = 0.002447, r(8) = 4.329/1800 = 0.002405: the 7th token lowers the rate -> 6
        assertEquals(6, drafted(c, 16));
        // a wall: c(3) -> c(4) costs 5,100 µs more; r(2) = 2.44/1200 = 0.00203 while every end K' >= 3 pays at least
        // 6,300 µs for at most 5 tokens (< 0.0008), so drafting stops after 2
        double[] knee = us.clone();
        for (int i = 0; i < knee.length; i++) {
            if (CostCurve.SIZES[i] >= 4) {
                knee[i] += 5000;
            }
        }
        assertEquals(2, drafted(new ThresholdController(constant(0.8f), null, 1, 8, CostCurve.of(knee)), 16));
        // a dear step then cheap ones: c(3) -> c(4) costs +600 µs, later steps +10 µs each; r(3) = 2.952/1800 is below
        // r(2) = 0.00203, but r(8) = 4.329/1850 = 0.00234 is above it: the lookahead keeps drafting to K_max
        double[] step = new double[us.length];
        for (int i = 0; i < step.length; i++) {
            int t = CostCurve.SIZES[i];
            step[i] = t < 4 ? 1000 + 100.0 * (t - 1) : 1800 + 10.0 * (t - 4);
        }
        assertEquals(8, drafted(new ThresholdController(constant(0.8f), null, 1, 8, CostCurve.of(step)), 16),
                "the lookahead sees past the dear step");
    }

    static AcceptanceHead random(int blocks, long seed) {
        AcceptanceHead h = AcceptanceHead.init("eagle", F, 5, blocks, seed);
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String n : h.tensors().keySet()) {
            float[] t = h.tensor(n).clone();
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * 0.5);
            }
            v.put(n, t);
        }
        return h.with(v);
    }

    @Test
    void backpropagationMatchesNumericalDerivatives() {
        AcceptanceHead h = random(2, 11);
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[h.inputWidth()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        AcceptanceExamples.Example e = new AcceptanceExamples.Example(x, 0.3f);
        Map<String, double[]> g = new LinkedHashMap<>();
        h.tensors().forEach((k, t) -> g.put(k, new double[t.length]));
        AcceptanceHeadTrainer.accumulate(h, e, g);
        double eps = 1e-2;
        for (String name : h.tensors().keySet()) {
            float[] t = h.tensor(name);
            for (int i = 0; i < t.length; i += 3) {
                float[] up = t.clone();
                float[] dn = t.clone();
                up[i] += (float) eps;
                dn[i] -= (float) eps;
                double lu = AcceptanceHeadTrainer.bce(h.with(Map.of(name, up)), List.of(e));
                double ld = AcceptanceHeadTrainer.bce(h.with(Map.of(name, dn)), List.of(e));
                double numeric = (lu - ld) / (2 * eps);
                assertEquals(numeric, g.get(name)[i], 2e-3 + 1e-2 * Math.abs(numeric), name + "[" + i + "]");
            }
        }
    }

    @Test
    void headFileRoundTripAndErrors(@TempDir Path dir) throws Exception {
        AcceptanceHead h = random(1, 5);
        Path f = dir.resolve("acc.gguf");
        h.save(f);
        AcceptanceHead back = AcceptanceHead.load(f);
        assertEquals("eagle", back.drafter());
        for (String n : h.tensors().keySet()) {
            assertArrayEquals(h.tensor(n), back.tensor(n), n);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> back.requireDrafter("hydra", F, "acc.gguf"));
        assertEquals("acc.gguf: the acceptance head was trained for drafter eagle, not hydra (train one with"
                + " train-acceptance-head --drafter hydra)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> back.requireDrafter("eagle", 8, "acc.gguf"));
        assertEquals("acc.gguf: the acceptance head reads 4 features per drafted token, drafter eagle gives 8",
                e.getMessage());
        // a non-finite weight, an absurd count, the old version: one line naming the file and what is wrong
        Path nan = dir.resolve("nan.gguf");
        Map<String, float[]> bad = new LinkedHashMap<>();
        float[] w = h.tensor("acc.0.w").clone();
        w[2] = Float.NaN;
        bad.put("acc.0.w", w);
        h.with(bad).save(nan);
        e = assertThrows(IllegalArgumentException.class, () -> AcceptanceHead.load(nan));
        assertTrue(e.getMessage().startsWith(nan + ": tensor 'acc.0.w' holds NaN at index 2"), e.getMessage());
        Path big = dir.resolve("big.gguf");
        GgufWriter g = new GgufWriter();
        g.putMetadata("general.architecture", "specdec-acceptance-head");
        g.putMetadata("specdec.acceptance.version", 2);
        g.putMetadata("specdec.acceptance.drafter", "eagle");
        g.putMetadata("specdec.acceptance.feature_width", 4);
        g.putMetadata("specdec.acceptance.width", 5);
        g.putMetadata("specdec.acceptance.scalars", String.join(",", AcceptanceFeatures.SCALAR_NAMES));
        g.putMetadata("specdec.acceptance.blocks", Integer.MAX_VALUE);
        g.write(big);
        e = assertThrows(IllegalArgumentException.class, () -> AcceptanceHead.load(big));
        assertEquals(big + ": metadata specdec.acceptance.blocks must be in 0..16, found 2147483647", e.getMessage());
        Path v1 = dir.resolve("v1.gguf");
        GgufWriter old = new GgufWriter();
        old.putMetadata("general.architecture", "specdec-acceptance-head");
        old.putMetadata("specdec.acceptance.blocks", 3);
        old.write(v1);
        e = assertThrows(IllegalArgumentException.class, () -> AcceptanceHead.load(v1));
        assertTrue(e.getMessage().contains("version is 1, this library reads version 2"), e.getMessage());
        Path other = dir.resolve("m.gguf");
        io.specdec.io.CheckpointWriter.writeGguf(io.specdec.testing.TestModels.random(
                new io.specdec.model.LlamaConfig(8, 16, 1, 2, 1, 4, 12, 32, 1e-5f, 10000f, false, false, 1, 2), 1,
                0.1f), null, other);
        e = assertThrows(IllegalArgumentException.class, () -> AcceptanceHead.load(other));
        assertTrue(e.getMessage().contains("expected 'specdec-acceptance-head'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
