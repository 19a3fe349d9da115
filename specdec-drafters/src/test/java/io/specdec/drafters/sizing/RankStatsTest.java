package io.specdec.drafters.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.TreeSizing;
import io.specdec.testing.SharedAssets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The empirical path model counted by hand, and teacher-forced ranks checked with the target as its own draft. */
class RankStatsTest {
    @Test
    void jointPathModelCountsRunsOfRanks() {
        RankStats s = new RankStats(new long[] {3, 1}, 5, new int[][] {{0, 0, 1, -1, 0}});
        TreeSizing.PathModel m = s.pathModel();
        assertEquals(3.0 / 5, m.probability(new int[] {0}), 1e-12);
        assertEquals(1.0 / 5, m.probability(new int[] {1}), 1e-12);
        assertEquals(1.0 / 5, m.probability(new int[] {0, 0}), 1e-12, "only j = 0; j = 4 runs off the end");
        assertEquals(1.0 / 5, m.probability(new int[] {0, 1}), 1e-12);
        assertEquals(0.0, m.probability(new int[] {0, 0, 0}), 1e-12);
        // without sequences it is the positional model
        TreeSizing.PathModel p = new RankStats(new long[] {3, 1}, 5).pathModel();
        assertEquals(0.6 * 0.2, p.probability(new int[] {0, 1}), 1e-12);
        // nothing observed (e.g. a cold recycling matrix that proposed no tree): zero, so sizing drafts nothing
        RankStats none = new RankStats(new long[] {0, 0}, 0);
        assertEquals(0.0, none.pathModel().probability(new int[] {0}), 1e-12);
        assertTrue(none.toString().contains("over 0 tokens"));
    }

    @Test
    void targetAsItsOwnDraftRanksEveryGreedyTokenFirst() throws Exception {
        LoadedModel lm = ModelLoader.load(SharedAssets.storyModels().target());
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(40).optStopAtEos(false)
                    .optSampling(SamplingConfig.GREEDY).build();
            GenerationResult r = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(cfg).build().generate("Once upon a time, there was a cat");
            int[] all = r.allIds();
            RankStats s = RankStats.draftModel(m, List.of(all), List.of(r.promptIds().length), 4);
            assertEquals(40, s.total(), "one observation per generated token");
            assertTrue(s.counts()[0] >= 39, "the model's own greedy tokens are its argmax: " + s);
            assertTrue(s.pathModel().probability(new int[] {0, 0, 0, 0}) > 0.9);
        }
    }
}
