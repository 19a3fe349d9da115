package io.specdec.drafters.heads;

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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Head training on a toy target's own samples (seconds): the validation cross-entropy of the heads' predictions
 * falls well below where it starts, checkpoints are heads files that load back, and the trained heads' teacher-forced
 * depth-1 accuracy beats the untrained heads'.
 */
class HeadTrainerTest {
    static final LlamaConfig CFG = new LlamaConfig(32, 48, 2, 4, 2, 8, 24, 64, 1e-5f, 10000f, false, false, 1, 2);

    @ParameterizedTest
    @MethodSource("io.specdec.drafters.heads.HeadArchitectures#all")
    void trainingLowersTheHeadsLossAndWritesLoadableHeads(HeadArchitecture kind, @TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(CFG, 21, 0.3f);
        Path samples = dir.resolve("s.bin");
        SelfDistillation.builder().setWeights(w).setPrompts(List.of(new int[] {1})).setSequences(48).optTemperature(0.7f)
                .optMaxNewTokens(40).optSeed(3).build().run(samples, null);
        List<SampleFile.Sample> all = SampleFile.read(samples);
        List<List<SampleFile.Sample>> split = TrainingData.split(all, 0.1);
        TrainingData tr = new TrainingData(split.get(0), CFG.vocabSize(), 0);
        TrainingData va = new TrainingData(split.get(1), CFG.vocabSize(), 0);
        LlamaTrainer.Config cfg = new LlamaTrainer.Config(200, 8, 24, 1e-2f, 1e-3f, 10, 0f, 1f, 100, 2, 0, 0f, 5);
        DraftHeads init = DraftHeads.init(kind, w, 2, 1, 9);
        float before;
        try (HeadTrainer fresh = new HeadTrainer(init, w, HeadTrainer.Loss.defaults(kind))) {
            before = LlamaTrainer.evaluate(fresh, va, 2, 8, 24, 5);
        }
        try (HeadTrainer t = new HeadTrainer(init, w, HeadTrainer.Loss.defaults(kind))) {
            LlamaTrainer.Result r = t.train(tr, va, cfg, dir.resolve("run"), null);
            float after = LlamaTrainer.evaluate(t, va, 2, 8, 24, 5);
            assertEquals(200, r.step());
            assertTrue(after < before - 0.3, kind + ": validation CE " + before + " -> " + after);
        }
        DraftHeads best = DraftHeads.load(dir.resolve("run").resolve("best.gguf"));
        assertEquals(kind.id(), best.architecture().id());
    }
}
