package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.ModelLoader;
import io.specdec.sampling.SamplingConfig;
import io.specdec.verify.JudgeHead;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lossy opt-in through the library entry point ({@code optLossy}): nothing is lossy unless asked; R2R with a
 * router that routes no token emits the draft's own greedy text (16 tokens per target forward) for greedy requests,
 * while a sampled request — outside R2R's domain — decodes exactly as the lossless object does with the same seed;
 * a malformed rule, a missing head, a head of the wrong size and a rule without a drafter are one-line errors.
 */
class LossyApiTest {
    private static final String PROMPT = "Once upon a time";

    @Test
    void lossyIsOptInAndAppliesOnlyWhereItIsDefined(@TempDir Path dir) throws Exception {
        int rdim = ModelLoader.load(DemoModels.draft()).config().dim() + io.specdec.speculation.DraftSignals.SCALARS;
        Path router = dir.resolve("router.json");
        new JudgeHead(new float[rdim], 100f, "demo").save(router);
        GenerationConfig sampled = GenerationConfig.builder().optMaxNewTokens(24).optSampling(SamplingConfig
                .builder().optTemperature(0.8f).optSeed(5).build()).build();
        try (Specdec lossless = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optMaxNewTokens(24).build();
                Specdec r2r = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                        .optMaxNewTokens(24).optLossy("r2r:0.5").optLossyHead(router).build();
                Specdec draftAlone = Specdec.builder().setModel(DemoModels.draft()).optMaxNewTokens(16).build()) {
            assertNull(lossless.lossy(), "lossless unless asked");
            assertEquals("r2r:0.5", r2r.lossy());
            io.specdec.generate.GenerationResult greedy = r2r.generate(PROMPT);
            assertTrue(greedy.speculation().lossy().startsWith("r2r("), "the stats name the rule the request ran"
                    + " under: " + greedy.speculation().lossy());
            int[] routed = greedy.ids();
            assertArrayEquals(draftAlone.generate(PROMPT).ids(), Arrays.copyOf(routed, 16),
                    "R2R keeping every draft token: the draft's own greedy text");
            io.specdec.generate.GenerationResult outside = r2r.withConfig(sampled).generate(PROMPT);
            assertArrayEquals(lossless.withConfig(sampled).generate(PROMPT).ids(), outside.ids(),
                    "sampled requests are outside R2R: lossless");
            assertNull(outside.speculation().lossy());
            assertNull(lossless.generate(PROMPT).speculation().lossy());
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Specdec.builder().optLossy("fast"));
        assertTrue(bad.getMessage().contains("expected typical[:EPS], lantern[:DELTA], judge[:THRESHOLD] or"
                + " r2r[:THRESHOLD], found 'fast'"), bad.getMessage());
        IllegalArgumentException knob = assertThrows(IllegalArgumentException.class,
                () -> Specdec.builder().optLossy("typical:x"));
        assertTrue(knob.getMessage().contains("the knob after ':' must be a number"), knob.getMessage());
        IllegalArgumentException noHead = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optLossy("judge").build());
        assertTrue(noHead.getMessage().contains("needs its judge head (train-judge): optLossyHead(file)"),
                noHead.getMessage());
        Path small = dir.resolve("small.json");
        new JudgeHead(new float[5], 0f, "demo").save(small);
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optLossy("r2r")
                .optLossyHead(small).build());
        assertTrue(wrongSize.getMessage().contains("the router (demo) reads 5 values, this drafter gives " + rdim),
                wrongSize.getMessage());
        IllegalArgumentException noDrafter = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optLossy("typical").build());
        assertTrue(noDrafter.getMessage().contains("needs a drafter"), noDrafter.getMessage());
    }
}
