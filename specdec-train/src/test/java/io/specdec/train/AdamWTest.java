package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.specdec.engine.SpecdecEngine;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW's skip path: a non-finite gradient is skipped and fully cleared, so the next step is clean. */
class AdamWTest {
    @Test
    void aNonFiniteGradientDoesNotPoisonLaterSteps() {
        try (NDManager pm = SpecdecEngine.newManager()) {
            NDArray w = pm.create(new float[] {0f, 4f});
            w.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("w", w);
            AdamW opt = new AdamW(0.9f, 0.95f, 1e-8f, 0f);
            // d sqrt(x)/dx at x = 0 is +inf: the first step's gradient is non-finite
            try (NDManager m = pm.newSubManager(); GradientCollector gc = SpecdecEngine.engine()
                    .newGradientCollector()) {
                gc.backward(w.sqrt().sum());
            }
            float bad = opt.update(params, 0.1f, 1f, pm);
            assertFalse(Float.isFinite(bad), "the sqrt gradient at 0 is infinite: " + bad);
            assertArrayEquals(new float[] {0f, 4f}, w.toFloatArray(), "a skipped step leaves the weights alone");
            assertEquals(0, opt.step());
            // a finite loss next: its gradient (2w = [0, 8]) must come out finite and exact
            try (NDManager m = pm.newSubManager(); GradientCollector gc = SpecdecEngine.engine()
                    .newGradientCollector()) {
                gc.backward(w.square().sum());
                try (NDArray g = w.getGradient()) {
                    assertArrayEquals(new float[] {0f, 8f}, g.toFloatArray(), 0f, "gradient after the skipped step");
                }
            }
            float norm = opt.update(params, 0.1f, 0f, pm);
            assertEquals(8f, norm, 1e-6f);
            assertTrue(w.toFloatArray()[1] < 4f, "the clean step updates the weight");
        }
    }
}
