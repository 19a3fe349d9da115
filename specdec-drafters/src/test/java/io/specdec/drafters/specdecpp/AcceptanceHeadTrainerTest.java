package io.specdec.drafters.specdecpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.testing.TestModels;
import io.specdec.train.LlamaTrainer;
import io.specdec.train.SampleFile;
import io.specdec.train.SelfDistillation;
import io.specdec.train.TrainingData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SpecDec++ training on a toy target and a noisy copy as its draft (seconds): the soft labels are exact
 * {@code min(1, p/q)} in [0, 1], the validation BCE falls, the checkpoint is a head file that says its reject weight,
 * and the trained head ranks rejections better than chance on held-out text.
 */
class AcceptanceHeadTrainerTest {
    static final LlamaConfig CFG = new LlamaConfig(24, 48, 2, 4, 2, 6, 20, 64, 1e-5f, 10000f, false, false, 1, 2);

    @Test
    void trainingLowersTheLossAndTheHeadRanksRejections(@TempDir Path dir) throws Exception {
        LlamaWeights target = TestModels.random(CFG, 31, 0.4f);
        LlamaWeights draft = TestModels.random(CFG, 32, 0.4f);
        Path samples = dir.resolve("s.bin");
        SelfDistillation.builder().setWeights(target).setPrompts(List.of(new int[] {1})).setSequences(64)
                .optTemperature(1f).optMaxNewTokens(40).optSeed(3).build().run(samples, null);
        List<List<SampleFile.Sample>> split = TrainingData.split(SampleFile.read(samples), 0.25);
        TrainingData tr = new TrainingData(split.get(0), CFG.vocabSize(), 0);
        TrainingData va = new TrainingData(split.get(1), CFG.vocabSize(), 0);
        LlamaTrainer.Config cfg = new LlamaTrainer.Config(200, 8, 24, 1e-2f, 1e-3f, 10, 0f, 1f, 100, 2, 0, 0f, 5);
        AcceptanceHead init = AcceptanceHead.init(CFG, 2, 7);
        try (AcceptanceHeadTrainer t = new AcceptanceHeadTrainer(init, draft, target, 0.15f, 6f, 9)) {
            float before = LlamaTrainer.evaluate(t, va, 2, 8, 24, 5);
            t.train(tr, va, cfg, dir.resolve("run"), null);
            float after = LlamaTrainer.evaluate(t, va, 2, 8, 24, 5);
            assertTrue(after < before - 0.02, "validation BCE " + before + " -> " + after);
            java.util.List<float[]> rows = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                rows.addAll(java.util.Arrays.asList(t.evaluate(va.batch(77, i, 8, 24), i)));
            }
            for (float[] r : rows) {
                assertTrue(r[1] >= 0 && r[1] <= 1, "soft label min(1, p/q) in [0, 1]: " + r[1]);
            }
            double auc = io.specdec.drafters.specdecpp.Metrics.auc(rows);
            assertTrue(auc > 0.55, "held-out AUC of the rejection prediction: " + auc);
        }
        AcceptanceHead best = AcceptanceHead.load(dir.resolve("run").resolve("best.gguf"));
        assertEquals(6f, best.rejectWeight());
    }
}
