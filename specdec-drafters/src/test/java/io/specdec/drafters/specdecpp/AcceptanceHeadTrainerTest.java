package io.specdec.drafters.specdecpp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The trainer against a known rule: examples whose acceptance probability is a logistic function of one feature and
 * the top probability; training must lower the validation BCE toward the rule's own entropy and rank held-out
 * rejections well (AUC), with the same forward inference uses.
 */
class AcceptanceHeadTrainerTest {
    static List<AcceptanceExamples.Example> examples(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<AcceptanceExamples.Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] f = new float[3];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) r.nextGaussian();
            }
            float top = (float) r.nextDouble();
            io.specdec.speculation.DraftSignals s = new io.specdec.speculation.DraftSignals(Float.NaN, top, top / 2,
                    1 - top, f);
            float[] x = AcceptanceFeatures.input(s, 1 + r.nextInt(4), 0.5f, 0f, 3);
            double z = 3 * x[0] + 4 * (top - 0.5);
            float label = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
            out.add(new AcceptanceExamples.Example(x, label));
        }
        return out;
    }

    @Test
    void learnsAKnownRule() {
        List<AcceptanceExamples.Example> train = examples(3000, 1);
        List<AcceptanceExamples.Example> val = examples(600, 2);
        AcceptanceHead init = AcceptanceHead.init("draft-model", 3, 16, 1, 7);
        AcceptanceHeadTrainer.Result r = AcceptanceHeadTrainer.train(init, train, val,
                new AcceptanceHeadTrainer.Config(600, 32, 3e-3f, 0.01f, 100, 5), null);
        assertTrue(r.bestValBce() < r.initialValBce() - 0.15, r.initialValBce() + " -> " + r.bestValBce());
        double auc = Metrics.auc(AcceptanceHeadTrainer.evaluate(r.head(), val, 9));
        assertTrue(auc > 0.8, "held-out AUC " + auc);
    }
}
