package io.specdec.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Processors and sampling against exact probability arithmetic worked out by hand. */
class SamplingTest {
    private static final float[] LOGITS = {2f, 1f, 0f, -1f, 3f};

    private static float[] probs(SamplingConfig cfg) {
        return new TokenSampler(cfg).distribution(LOGITS, new int[0], 0);
    }

    private static double[] softmax(double... l) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : l) {
            m = Math.max(m, v);
        }
        double s = 0;
        double[] e = new double[l.length];
        for (int i = 0; i < l.length; i++) {
            e[i] = l[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(l[i] - m);
            s += e[i];
        }
        for (int i = 0; i < l.length; i++) {
            e[i] /= s;
        }
        return e;
    }

    private static void assertProbs(double[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-6, "p[" + i + "]");
        }
    }

    @Test
    void greedyIsPointMassAtArgmax() {
        assertArrayEquals(new float[] {0, 0, 0, 0, 1}, probs(SamplingConfig.GREEDY));
        assertEquals(4, new TokenSampler(SamplingConfig.GREEDY).next(LOGITS, new int[0], 0));
    }

    @Test
    void temperatureScalesLogits() {
        float[] p = probs(SamplingConfig.builder().optTemperature(0.5f).build());
        assertProbs(softmax(4, 2, 0, -2, 6), p);
    }

    @Test
    void topKKeepsKLargest() {
        float[] p = probs(SamplingConfig.builder().optTemperature(1f).optTopK(2).build());
        double n = Math.exp(2) + Math.exp(3);
        assertProbs(new double[] {Math.exp(2) / n, 0, 0, 0, Math.exp(3) / n}, p);
    }

    @Test
    void topPKeepsSmallestNucleus() {
        double[] full = softmax(2, 1, 0, -1, 3); // sorted: 3 (0.636), 2 (0.234), 1 (0.086), ...
        float[] p = probs(SamplingConfig.builder().optTemperature(1f).optTopP(0.8f).build());
        double n = full[4] + full[0];
        assertProbs(new double[] {full[0] / n, 0, 0, 0, full[4] / n}, p);
        p = probs(SamplingConfig.builder().optTemperature(1f).optTopP(0.9f).build());
        n = full[4] + full[0] + full[1];
        assertProbs(new double[] {full[0] / n, full[1] / n, 0, 0, full[4] / n}, p);
    }

    @Test
    void minPDropsUnlikelyTokens() {
        // p_i / p_max = exp(l_i - 3): 0.368, 0.135, 0.050, 0.018, 1 → min-p 0.1 keeps {0, 1, 4}
        float[] p = probs(SamplingConfig.builder().optTemperature(1f).optMinP(0.1f).build());
        double n = Math.exp(2) + Math.exp(1) + Math.exp(3);
        assertProbs(new double[] {Math.exp(2) / n, Math.exp(1) / n, 0, 0, Math.exp(3) / n}, p);
    }

    @Test
    void repetitionPenaltyFollowsCtrl() {
        TokenSampler s = new TokenSampler(SamplingConfig.builder().optTemperature(1f).optRepetitionPenalty(2f).build());
        float[] p = s.distribution(LOGITS, new int[] {4, 3, 4}, 3);
        assertProbs(softmax(2, 1, 0, -2, 1.5), p);
        // greedy with a penalty can change the argmax: 3/2 = 1.5 < 2
        TokenSampler g = new TokenSampler(SamplingConfig.builder().optRepetitionPenalty(2f).build());
        assertEquals(0, g.next(LOGITS, new int[] {4}, 1));
    }

    @Test
    void samplerFollowsTheDistributionAndIsSeeded() {
        float[] w = {0.1f, 0.2f, 0.3f, 0.4f};
        int n = 200_000;
        int[] counts = new int[4];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            counts[Distributions.sample(w, r)]++;
        }
        for (int i = 0; i < 4; i++) {
            double f = counts[i] / (double) n;
            assertEquals(w[i], f, 4 * Math.sqrt(w[i] * (1 - w[i]) / n), "frequency of " + i);
        }
        TokenSampler a = new TokenSampler(SamplingConfig.builder().optTemperature(1f).optSeed(9).build());
        TokenSampler b = new TokenSampler(SamplingConfig.builder().optTemperature(1f).optSeed(9).build());
        for (int i = 0; i < 100; i++) {
            assertEquals(a.next(LOGITS, new int[0], 0), b.next(LOGITS, new int[0], 0));
        }
    }

    @Test
    void invalidConfigsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.builder().optTemperature(-1f).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.builder().optTopP(0f).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.builder().optTopK(-2).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.builder().optRepetitionPenalty(0f).build());
        assertThrows(IllegalArgumentException.class,
                () -> Distributions.softmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
        assertTrue(SamplingConfig.GREEDY.isGreedy());
    }

    @Test
    void extremeSamplingValuesAreRejectedAtBuild() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SamplingConfig.builder().optRepetitionPenalty(Float.POSITIVE_INFINITY).build());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("repetition penalty must be > 0 and finite"));
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SamplingConfig.builder().optTemperature(1.4e-45f).build());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("temperature must be 0 (greedy) or >= 0.001"),
                e.getMessage());
        org.junit.jupiter.api.Assertions.assertEquals(0.001f, SamplingConfig.builder().optTemperature(0.001f).build()
                .temperature());
    }
}
