package io.specdec.speculation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Candidate-length controllers and the draft tree structure. */
class LengthControllersTest {
    private static RoundResult round(int drafted, int accepted, long draftNanos, long verifyNanos) {
        int[] toks = new int[drafted];
        DraftTree t = DraftTree.chain(toks, new float[drafted][]);
        int[] acc = new int[accepted];
        for (int i = 0; i < accepted; i++) {
            acc[i] = i;
        }
        return new RoundResult(new RoundLayout(1, t, 0), acc, new int[accepted + 1],
                io.specdec.model.ForwardResult.ofHost(0, 0, new float[0], null, null), draftNanos, verifyNanos);
    }

    @Test
    void staticAndHeuristic() {
        assertEquals(4, LengthControllers.fixed(4).nextBudget(10));
        assertEquals(3, LengthControllers.fixed(4).nextBudget(3), "capped by the room left");
        CandidateLengthController h = LengthControllers.heuristic(4, 10);
        h.observe(round(4, 4, 1, 1));
        assertEquals(6, h.nextBudget(100), "+2 after a fully accepted round");
        h.observe(round(6, 2, 1, 1));
        assertEquals(5, h.nextBudget(100), "-1 otherwise");
        for (int i = 0; i < 10; i++) {
            h.observe(round(5, 0, 1, 1));
        }
        assertEquals(1, h.nextBudget(100), "never below 1");
    }

    @Test
    void confidenceStopsBelowThreshold() {
        CandidateLengthController c = LengthControllers.confidence(0.5f, 8);
        assertEquals(1.0, c.admit(new CandidateLengthController.DraftStep(1, 3,
                new DraftSignals(0.6f, 0.6f, 0.3f, 1f, null))));
        assertEquals(CandidateLengthController.STOP, c.admit(new CandidateLengthController.DraftStep(2, 3,
                new DraftSignals(0.3f, 0.45f, 0.1f, 1f, null))));
    }

    @Test
    void goodputSwitchesSpeculationOffWhenItDoesNotPayAndOnWhenItDoes() {
        LengthControllers.Goodput g = (LengthControllers.Goodput) LengthControllers.goodput(8);
        // expensive drafts, nothing accepted: K = 0 (with a probe every 16 rounds)
        for (int i = 0; i < 60; i++) {
            g.observe(round(3, 0, 3_000_000, 1_000_000));
            g.observe(round(0, 0, 0, 1_000_000));
        }
        int zeros = 0;
        for (int i = 0; i < 32; i++) {
            zeros += g.nextBudget(8) == 0 ? 1 : 0;
        }
        assertTrue(zeros >= 30, "speculation off, occasional probes: " + zeros + "/32 rounds at K=0");
        // cheap drafts, everything accepted: a long K
        LengthControllers.Goodput good = (LengthControllers.Goodput) LengthControllers.goodput(8);
        for (int i = 0; i < 60; i++) {
            good.observe(round(8, 8, 80_000, 1_200_000));
            good.observe(round(0, 0, 0, 1_000_000));
        }
        assertTrue(good.nextBudget(8) >= 6, "K = " + good.nextBudget(8));
        assertTrue(good.acceptanceEstimates()[0] > 0.9);
    }

    @Test
    void draftTreeStructure() {
        DraftTree t = new DraftTree(new int[] {5, 7, 2, 3}, new int[] {-1, -1, 1, 1}, new float[4][]);
        assertEquals(2, t.maxDepth());
        assertArrayEquals(new int[] {0, 1}, t.children(-1));
        assertArrayEquals(new int[] {2, 3}, t.children(1));
        assertArrayEquals(new int[] {7, 3}, t.pathTokens(3));
        assertFalse(t.isChain());
        assertTrue(DraftTree.chain(new int[] {1, 2}, new float[2][]).isChain());
        assertThrows(IllegalArgumentException.class, () -> new DraftTree(new int[] {1}, new int[] {0},
                new float[1][]));
    }
}
