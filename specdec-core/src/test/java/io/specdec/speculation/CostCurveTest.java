package io.specdec.speculation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Cost-curve interpolation, ideal speedup and Sequoia-style chain sizing on hand-made curves. */
class CostCurveTest {
    /** c(T) = base + perToken·(T − 1) µs. */
    static CostCurve linear(double base, double perToken) {
        double[] us = new double[CostCurve.SIZES.length];
        for (int i = 0; i < us.length; i++) {
            us[i] = base + perToken * (CostCurve.SIZES[i] - 1);
        }
        return CostCurve.of(us);
    }

    @Test
    void interpolatesAndComputesIdealSpeedup() {
        CostCurve c = linear(1000, 100);
        assertEquals(1000, c.micros(1), 1e-9);
        assertEquals(1500, c.micros(6), 1e-9);
        assertEquals(1500, c.micros(6), 1e-9);
        assertEquals(1000 + 100 * 9, c.micros(10), 1e-9, "between 8 and 12");
        assertEquals(1000 + 100 * 99, c.micros(100), 1e-9, "extrapolated");
        // τ = 3, verify 5 tokens (1400 µs), draft 600 µs per round: 3 * 1000 / 2000 = 1.5
        assertEquals(1.5, c.idealSpeedup(3, 5, 600), 1e-9);
    }

    @Test
    void chainLengthFollowsTheCurve() {
        // nearly flat curve (GPU-like) and high acceptance: draft long chains
        assertTrue(linear(1000, 5).bestChainLength(0.9, 20, 16) >= 8);
        // steep curve (each verified token costs as much as a step): never speculate
        assertEquals(0, linear(1000, 1000).bestChainLength(0.9, 20, 16));
        // expensive drafts and poor acceptance: no speculation either
        assertEquals(0, linear(1000, 50).bestChainLength(0.2, 900, 16));
    }

    @Test
    void damagedCacheFileIsMeasuredAgainAndOverwritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        io.specdec.model.LlamaConfig c = io.specdec.testing.TestModels.tiny(40).withContextLength(160);
        try (io.specdec.model.LlamaModel m = new io.specdec.model.LlamaModel(
                io.specdec.testing.TestModels.random(c, 1, 0.1f))) {
            CostCurve first = CostCurve.cached(m, dir, 2);
            java.nio.file.Path f;
            try (var files = java.nio.file.Files.list(dir)) {
                f = files.findFirst().orElseThrow();
            }
            java.nio.file.Files.writeString(f, "1 2 x 4 5 6 7 8 9 10 11 12\n");
            CostCurve again = CostCurve.cached(m, dir, 2);
            assertTrue(again.micros(1) > 0 && first.micros(1) > 0);
            assertTrue(!java.nio.file.Files.readString(f).contains("x"), "the damaged file was rewritten");
        }
    }
}
