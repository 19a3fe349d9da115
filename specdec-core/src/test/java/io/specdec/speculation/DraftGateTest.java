package io.specdec.speculation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decode loop's stop rule on hand-built trees: subtrees of dropped nodes go, levels are capped in draft order,
 * branch products reach the controller, a sampled node's own probability is hidden, and the chain gate gives the
 * same verdicts while drafting.
 */
class DraftGateTest {
    /** Tree: 0(-1) 1(-1) 2(0) 3(0) 4(2) 5(1) 6(4): depths 1 1 2 2 3 2 4. */
    static DraftTree tree(float[][] q) {
        DraftSignals[] s = new DraftSignals[7];
        for (int j = 0; j < 7; j++) {
            s[j] = new DraftSignals(0.25f, 0.5f, 0.1f, 1f, new float[] {j});
        }
        return new DraftTree(new int[] {10, 11, 12, 13, 14, 15, 16}, new int[] {-1, -1, 0, 0, 2, 1, 4}, q, s);
    }

    static CandidateLengthController depthAtMost(int d, List<CandidateLengthController.DraftStep> seen) {
        return new CandidateLengthController() {
            @Override
            public int nextBudget(int max) {
                return max;
            }

            @Override
            public double admit(DraftStep s) {
                seen.add(s);
                return s.depth() > d ? STOP : 0.5;
            }

            @Override
            public String name() {
                return "depth<=" + d;
            }
        };
    }

    @Test
    void dropsSubtreesAndPassesBranchProducts() {
        List<CandidateLengthController.DraftStep> seen = new ArrayList<>();
        DraftTree t = DraftGate.apply(depthAtMost(2, seen), tree(new float[7][]));
        assertArrayEquals(new int[] {10, 11, 12, 13, 15}, t.tokens());
        assertArrayEquals(new int[] {-1, -1, 0, 0, 1}, t.parents());
        assertEquals(2, t.maxDepth());
        // node 6 (child of the dropped 4) is never asked; products: depth 1 → 1, depth 2 → 0.5, depth 3 → 0.25
        assertEquals(6, seen.size());
        assertEquals(1.0, seen.get(0).pathAcceptance());
        assertEquals(0.5, seen.get(2).pathAcceptance());
        assertEquals(0.25, seen.get(4).pathAcceptance());
        assertEquals(0.25f, seen.get(0).signals().probability(), "a point mass shows its probability");
        assertEquals(5f, t.signals(4).features()[0], "signals follow their nodes (old node 5 is now 4)");
        List<CandidateLengthController.DraftStep> all = new ArrayList<>();
        DraftTree same = tree(new float[7][]);
        assertSame(same, DraftGate.apply(depthAtMost(9, all), same), "nothing dropped: the same tree");
    }

    @Test
    void capsLevelsInDraftOrderAndHidesSampledProbabilities() {
        float[] q = {0.5f, 0.5f};
        float[][] qs = new float[7][];
        java.util.Arrays.fill(qs, q);
        List<CandidateLengthController.DraftStep> seen = new ArrayList<>();
        CandidateLengthController narrow = new CandidateLengthController() {
            @Override
            public int nextBudget(int max) {
                return max;
            }

            @Override
            public double admit(DraftStep s) {
                seen.add(s);
                return 1;
            }

            @Override
            public int maxWidth(int depth) {
                return 1;
            }

            @Override
            public String name() {
                return "width 1";
            }
        };
        DraftTree t = DraftGate.apply(narrow, tree(qs));
        assertArrayEquals(new int[] {10, 12, 14, 16}, t.tokens(), "one node per level: the first drafted");
        assertTrue(t.isChain());
        for (CandidateLengthController.DraftStep s : seen) {
            assertTrue(Float.isNaN(s.signals().probability()), "a sampled token's probability is hidden");
            assertEquals(0.5f, s.signals().topProbability());
        }
    }

    @Test
    void chainGateGivesTheSameVerdicts() {
        List<CandidateLengthController.DraftStep> seen = new ArrayList<>();
        DraftGate.Chain g = new DraftGate.Chain(depthAtMost(2, seen));
        DraftSignals s = new DraftSignals(0.9f, 0.9f, 0.8f, 0.1f, null);
        assertTrue(g.admit(1, s, false));
        assertTrue(g.admit(2, s, false));
        assertFalse(g.admit(3, s, false));
        assertEquals(0.5, seen.get(1).pathAcceptance());
        assertTrue(new DraftGate.Chain(null).admit(1, null, true), "no controller: everything");
    }
}
