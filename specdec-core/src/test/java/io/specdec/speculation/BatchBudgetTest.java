package io.specdec.speculation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link BatchBudget}'s choice against the goodput formula (with its 10% margin) worked by hand. */
class BatchBudgetTest {
    private static final CostCurve TARGET = CostCurve.of(new double[] {100, 100, 100, 100, 150, 200, 300, 400, 600,
        800, 1200, 1600});
    private static final CostCurve DRAFT = CostCurve.of(new double[] {5, 5, 5, 5, 6, 7, 9, 11, 15, 19, 27, 35});

    @Test
    void theDraftLengthShrinksWithTheBatchAndStopsWhenItNoLongerPays() {
        double[] alpha = new double[5];
        Arrays.fill(alpha, 0.6);
        // B = 1: AR 1/100; K=3: (1 + .6 + .36 + .216) / (c(4) + 3·5) = 2.176/115 = .0189 beats K=2 (1.96/110 = .0178)
        // and K=4 (2.3056/145 = .0159)
        assertEquals(3, BatchBudget.best(1, alpha, TARGET, DRAFT, 4));
        // B = 4: AR 4/100 = .04; K=1: 4·1.6/(c(8) + c_d(4)) = 6.4/205 = .0312: no K pays
        assertEquals(0, BatchBudget.best(4, alpha, TARGET, DRAFT, 4));
        // B = 2: AR 2/100 = .02; K=1: 3.2/(c(4) + 5) = .0305; K=2: 3.92/(c(6) + 10) = .0245
        assertEquals(1, BatchBudget.best(2, alpha, TARGET, DRAFT, 4));
        assertEquals(0, BatchBudget.best(16, alpha, TARGET, DRAFT, 4));
        assertEquals(2, BatchBudget.best(1, alpha, TARGET, DRAFT, 2), "never above the limit");
        // probing only where a perfect draft could beat AR by the 10% margin: B = 1: 2/(c(2) + c_d(1)) = .0190 >
        // 1.1/100; B = 16: 32/(c(32) + c_d(16)) = 32/811 = .0395 < 1.1·16/400 = .044
        assertTrue(BatchBudget.couldPay(1, TARGET, DRAFT));
        assertFalse(BatchBudget.couldPay(16, TARGET, DRAFT));
    }
}
