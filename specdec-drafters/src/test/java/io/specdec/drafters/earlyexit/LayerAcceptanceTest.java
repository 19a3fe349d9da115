package io.specdec.drafters.earlyexit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** DEL's plan choice follows TPL(ℓ, d) = [(1 − α^(d+1)) / (1 − α)] / (d·ℓ + L). */
class LayerAcceptanceTest {
    @Test
    void tplMatchesTheFormulaAndDrivesThePlan() {
        EarlyExitDrafter.LayerAcceptance a = new EarlyExitDrafter.LayerAcceptance(5);
        // α = 0.5 everywhere: TPL(1, 1) = (1 - 0.25) / 0.5 / (1 + 5) = 0.25 > 1/5
        assertEquals(0.25, a.tpl(1, 1), 1e-12);
        assertArrayEquals(new int[] {1, 1}, a.bestPlan(4));
        for (int i = 0; i < 200; i++) {
            a.update(1, 0.0);
            a.update(2, 0.0);
            a.update(3, 0.95);
            a.update(4, 0.0);
        }
        int[] plan = a.bestPlan(8);
        assertEquals(3, plan[0], "the accurate layer wins");
        assertTrue(plan[1] >= 2, "and drafts several tokens: " + plan[1]);
        for (int i = 0; i < 200; i++) {
            a.update(3, 0.0);
        }
        assertEquals(0, a.bestPlan(8)[1], "no layer pays: no speculation");
    }
}
