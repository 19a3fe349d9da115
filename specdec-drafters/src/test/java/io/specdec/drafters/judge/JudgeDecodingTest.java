package io.specdec.drafters.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.demo.DemoModels;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.JudgeAcceptance;
import io.specdec.verify.JudgeHead;
import io.specdec.verify.Speculation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Judge Decoding and the R2R router end to end on the embedded demo target and draft: the decoder hands the policy the target's hidden
 * states of the drafted rows; a judge that never accepts leaves greedy decoding exact, one that always accepts keeps
 * every drafted token (τ = K + 1); a trained judge (train data from the demo's own continuations) lands in between;
 * the policy is refused as lossless, for sampled requests, and a bad head file is a one-line error.
 */
class JudgeDecodingTest {
    private static final String PROMPT = "Once upon a time";

    private static JudgeHead constant(int dim, float bias) {
        return new JudgeHead(new float[dim], bias, "demo");
    }

    private static GenerationResult run(LoadedModel t, LlamaModel tm, LlamaModel dm, JudgeHead judge) {
        return run(t, tm, dm, judge == null ? null : new JudgeAcceptance(judge, 0.5));
    }

    private static GenerationResult run(LoadedModel t, LlamaModel tm, LlamaModel dm,
            io.specdec.speculation.AcceptancePolicy lossy) {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(48).optStopAtEos(false).build();
        SpeculativeDecoder.Builder b = Speculation.decoder(tm, t.tokenizer(),
                DraftModelDrafter.builder().setModel(dm).build(), cfg).optControllerFactory(() -> LengthControllers.fixed(4));
        if (lossy != null) {
            b.optLossyPolicy(lossy);
        }
        return b.build().generate(PROMPT);
    }

    @Test
    void judgeWidensAcceptanceOnlyWhereItSaysSo(@TempDir Path dir) throws Exception {
        LoadedModel t = ModelLoader.load(DemoModels.target());
        LoadedModel d = ModelLoader.load(DemoModels.draft());
        try (LlamaModel tm = t.newModel(); LlamaModel dm = d.newModel()) {
            int dim = tm.config().dim();
            GenerationResult ar = AutoregressiveGenerator.builder().setModel(tm).setTokenizer(t.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(48).optStopAtEos(false).build()).build()
                    .generate(PROMPT);
            GenerationResult never = run(t, tm, dm, constant(dim, -100f));
            assertArrayEquals(ar.ids(), never.ids(), "a judge that never accepts must leave greedy decoding exact");
            GenerationResult always = run(t, tm, dm, constant(dim, 100f));
            assertEquals(1.0, always.speculation().acceptanceRate(), 1e-9, "an always-accepting judge keeps every draft");
            assertEquals(5.0, always.speculation().tau(), 0.5, "K = 4: five tokens per round");
            List<JudgeTrainer.Example> ex = JudgeTrainer.examples(tm, dm, List.of(t.tokenizer().encode("One day", true),
                    t.tokenizer().encode("The dog", true), t.tokenizer().encode("Lily and Tom", true)), 48, 4, 0.1);
            assertTrue(ex.size() >= 10, "the demo draft disagrees with its target somewhere: " + ex.size());
            JudgeTrainer.Result r = JudgeTrainer.fit(ex, "demo", 100, 1e-3, 3);
            assertTrue(r.trainAccuracy() > 0.5, "the fit beats a coin on its own data: " + r.trainAccuracy());
            Path f = dir.resolve("judge.json");
            r.head().save(f);
            GenerationResult trained = run(t, tm, dm, JudgeHead.load(f));
            assertTrue(trained.speculation().acceptanceRate() >= never.speculation().acceptanceRate(),
                    "judging can only add accepted drafts");
            // R2R's router reads the draft's own signals (hidden state + 4 scalars) of each drafted token
            int rdim = dm.config().dim() + io.specdec.speculation.DraftSignals.SCALARS;
            GenerationResult noRoute = run(t, tm, dm, new io.specdec.verify.RouterAcceptance(constant(rdim, -100f), 0.5));
            assertArrayEquals(ar.ids(), noRoute.ids(), "a router that never keeps a mismatch leaves greedy exact");
            GenerationResult allRoute = run(t, tm, dm, new io.specdec.verify.RouterAcceptance(constant(rdim, 100f), 0.5));
            assertEquals(1.0, allRoute.speculation().acceptanceRate(), 1e-9, "a router that keeps every draft");
            List<JudgeTrainer.Example> rx = JudgeTrainer.examples(tm, dm, List.of(t.tokenizer().encode("One day", true)),
                    32, 4, 0.1, true);
            assertTrue(!rx.isEmpty() && rx.get(0).hidden().length == rdim, "router examples carry the draft's signals");
        }
        JudgeAcceptance j = new JudgeAcceptance(constant(8, 0f), 0.5);
        assertFalse(j.isLossless());
        assertFalse(j.supports(SamplingConfig.builder().optTemperature(1f).build()));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"dim\": 3, \"weight\": [1, 2], \"bias\": 0}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JudgeHead.load(bad));
        assertTrue(e.getMessage().contains(bad + ": not a judge head"), e.getMessage());
    }
}
