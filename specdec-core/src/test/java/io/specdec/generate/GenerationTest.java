package io.specdec.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.testing.SharedAssets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generation API on the story target (stories260K, or the embedded demo without {@code SPECDEC_SHARED}): golden
 * greedy output (stories260K only), streaming, stop conditions, limits, errors.
 */
class GenerationTest {
    private static SharedAssets.StoryModels story;
    private static LoadedModel lm;
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        story = SharedAssets.storyModels();
        lm = ModelLoader.load(story.target());
        model = new LlamaModel(lm.weights());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static AutoregressiveGenerator gen(GenerationConfig cfg) {
        return AutoregressiveGenerator.builder().setModel(model).setTokenizer(lm.tokenizer()).optConfig(cfg).build();
    }

    @Test
    void greedyGenerationReproducesGolden() {
        SharedAssets.require("models/stories260K.gguf");
        org.junit.jupiter.api.Assumptions.assumeFalse(story.demo(), "golden outputs are stories260K's");
        for (SharedAssets.Golden g : SharedAssets.golden("stories260K-greedy.jsonl")) {
            int n = g.ids().length - g.promptIds().length;
            GenerationResult r = gen(GenerationConfig.builder().optMaxNewTokens(n).optStopAtEos(false).build())
                    .generate(g.prompt());
            assertArrayEquals(g.promptIds(), r.promptIds());
            assertArrayEquals(Arrays.copyOfRange(g.ids(), g.promptIds().length, g.ids().length), r.ids(),
                    "'" + g.prompt() + "'");
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(n, r.stats().generatedTokens());
        }
    }

    @Test
    void streamingCallbackIteratorAndStreamAgree() {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(40).build();
        List<GeneratedToken> seen = new ArrayList<>();
        GenerationResult r = gen(cfg).generate("The little dog", seen::add);
        assertEquals(r.ids().length, seen.size());
        assertEquals(r.text(), seen.stream().map(GeneratedToken::text).collect(Collectors.joining()));
        try (Generation g = gen(cfg).start("The little dog")) {
            String streamed = g.stream().map(GeneratedToken::text).collect(Collectors.joining());
            assertEquals(r.text(), streamed);
        }
    }

    @Test
    void cancelStopsTheIterator() {
        try (Generation g = gen(GenerationConfig.builder().optMaxNewTokens(100).build()).start("Once upon a time")) {
            g.next();
            g.next();
            g.cancel();
            assertFalse(g.hasNext());
            assertEquals(FinishReason.CANCELLED, g.finishReason());
            assertEquals(2, g.result().ids().length);
        }
    }

    /** A step that produces 5 tokens per call, like a speculative round: cancel drops what was not delivered. */
    @Test
    void cancelDropsTheRestOfARound() {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(100).build();
        int[] round = lm.tokenizer().encode(" the dog ran to the park and", false);
        DecodeStep fiveAtATime = new DecodeStep() {
            private int at;

            @Override
            public int[] next(int max) {
                int[] out = new int[Math.min(max, 5)];
                for (int i = 0; i < out.length; i++) {
                    out[i] = round[(at++) % round.length];
                }
                return out;
            }

            @Override
            public void close() {}
        };
        try (Generation g = new Generation(lm.tokenizer(), new int[] {lm.tokenizer().bosId()}, cfg,
                () -> fiveAtATime)) {
            StringBuilder got = new StringBuilder();
            got.append(g.next().text());
            got.append(g.next().text());
            g.cancel();
            assertFalse(g.hasNext(), "the 3 tokens left of the round are not delivered");
            GenerationResult r = g.result();
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertArrayEquals(Arrays.copyOf(round, 2), r.ids());
            assertEquals(got.toString(), r.text());
        }
    }

    @Test
    void stopStringCutsTheTextAndNeverStreamsIt() {
        // the reference: the same greedy generation without a stop string; stop at a word from its middle
        String full = gen(GenerationConfig.builder().optMaxNewTokens(128).optStopAtEos(false).build())
                .generate("Once upon a time").text();
        int at = full.indexOf(' ', full.length() / 3);
        assertTrue(at > 0 && at + 5 < full.length(), "reference text too short: '" + full + "'");
        String stop = full.substring(at + 1, at + 5);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(128).optStopAtEos(false)
                .optStopStrings(List.of(stop)).build();
        List<GeneratedToken> seen = new ArrayList<>();
        GenerationResult r = gen(cfg).generate("Once upon a time", seen::add);
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
        assertEquals(full.substring(0, full.indexOf(stop)), r.text());
        String streamed = seen.stream().map(GeneratedToken::text).collect(Collectors.joining());
        assertEquals(r.text(), streamed);
        assertFalse(streamed.contains(stop));
    }

    @Test
    void samplingIsSeededAndReproducible() {
        SamplingConfig s = SamplingConfig.builder().optTemperature(0.8f).optTopP(0.9f).optSeed(7).build();
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(30).optSampling(s).build();
        GenerationResult a = gen(cfg).generate("Once upon a time");
        GenerationResult b = gen(cfg).generate("Once upon a time");
        assertArrayEquals(a.ids(), b.ids());
    }

    @Test
    void eosEndsGeneration() {
        // stories260K emits BOS (1) between stories, EOS (2) never; a config whose EOS is the token greedy decoding
        // emits 6th stops at its first occurrence
        GenerationResult r = gen(GenerationConfig.builder().optMaxNewTokens(128).optStopAtEos(false).build())
                .generate("Once upon a time");
        assertTrue(r.ids().length > 6);
        int eos = r.ids()[5];
        int first = 0;
        while (r.ids()[first] != eos) {
            first++;
        }
        io.specdec.tokenizer.Tokenizer other = new DelegatingTokenizer(lm.tokenizer(), eos);
        GenerationResult s = AutoregressiveGenerator.builder().setModel(model).setTokenizer(other)
                .optConfig(GenerationConfig.builder().optMaxNewTokens(128).build()).build().generate("Once upon a time");
        assertEquals(FinishReason.EOS, s.finishReason());
        assertArrayEquals(Arrays.copyOf(r.ids(), first), Arrays.copyOf(s.ids(), first), "the same tokens up to EOS");
        assertTrue(s.ids().length <= first + 1, "nothing after EOS: " + Arrays.toString(s.ids()));
    }

    @Test
    void promptLongerThanContextIsAClearError() {
        int[] ids = new int[model.config().contextLength() + 1];
        Arrays.fill(ids, 300);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> gen(GenerationConfig.defaults()).start(ids));
        assertTrue(e.getMessage().contains("context"), e.getMessage());
    }

    @Test
    void contextFullEndsGeneration() {
        int ctx = model.config().contextLength();
        int[] ids = new int[ctx - 3];
        Arrays.fill(ids, 300);
        ids[0] = 1;
        GenerationResult r = gen(GenerationConfig.builder().optMaxNewTokens(50).optStopAtEos(false).build())
                .start(ids).result();
        assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
        assertEquals(4, r.ids().length, "a context of C positions yields C - prompt + 1 tokens");
    }

    /** The story target's tokenizer with another EOS id. */
    private record DelegatingTokenizer(io.specdec.tokenizer.Tokenizer t, int eos)
            implements io.specdec.tokenizer.Tokenizer {
        public int vocabSize() {
            return t.vocabSize();
        }

        public int[] encode(String text, boolean addBos) {
            return t.encode(text, addBos);
        }

        public String decode(int[] ids) {
            return t.decode(ids);
        }

        public byte[] tokenBytes(int prev, int id) {
            return t.tokenBytes(prev, id);
        }

        public String piece(int id) {
            return t.piece(id);
        }

        public int bosId() {
            return t.bosId();
        }

        public int eosId() {
            return eos;
        }
    }
}
