package io.specdec.drafters.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.testing.SharedAssets;
import io.specdec.verify.Speculation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One loaded model and one decoder (with its shared, adaptive controller and a shared recycling matrix) serving four
 * threads: every output equals plain decoding of the same prompt; and prompt ids outside the vocabulary are a
 * named error for every drafter, not an index exception.
 */
class SharedModelTest {
    private static final String[] PROMPTS = {"Once upon a time", "Lily and Ben were", "The little dog",
        "One day, a girl named Sue"};

    @Test
    void fourThreadsShareOneModelAndOneDecoder() throws Exception {
        LoadedModel lm = ModelLoader.load(SharedAssets.storyModels().target());
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(32).optStopAtEos(false).build();
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(cfg).build();
            List<int[]> expected = new ArrayList<>();
            for (String p : PROMPTS) {
                expected.add(ar.generate(p).ids());
            }
            SpeculativeDecoder d = Speculation.decoder(m, lm.tokenizer(), TokenRecyclingDrafter.builder()
                    .setMatrix(new AdjacencyMatrix(lm.config().vocabSize(), 8)).build(), cfg).optController(LengthControllers.goodput(16))
                    .optMaxDraft(80).build();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int id = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 12; i++) {
                            int k = (id + i) % PROMPTS.length;
                            GenerationResult r = d.generate(PROMPTS[k]);
                            assertArrayEquals(expected.get(k), r.ids(), "thread " + id + " prompt " + k);
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> f : fs) {
                    assertTrue(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void promptIdsOutsideTheVocabularyAreNamedForEveryDrafter() {
        LoadedModel lm = ModelLoader.load(SharedAssets.storyModels().target());
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(4).build();
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            for (var f : List.of(TokenRecyclingDrafter.builder().setVocabSize(512).build(),
                    PromptLookupDrafter.builder().setVocabSize(512).build())) {
                SpeculativeDecoder d = Speculation.decoder(m, lm.tokenizer(), f, cfg).build();
                for (int bad : new int[] {-1, 512, 100000}) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> d.start(new int[] {1, bad, 5}).result());
                    assertTrue(e.getMessage().contains("prompt token id " + bad + " outside vocabulary 0..511"),
                            e.getMessage());
                }
            }
        }
    }
}
