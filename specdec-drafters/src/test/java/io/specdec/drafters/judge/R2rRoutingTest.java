package io.specdec.drafters.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.demo.DemoModels;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.Distributions;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftSignals;
import io.specdec.verify.JudgeHead;
import io.specdec.verify.RouterAcceptance;
import io.specdec.verify.Speculation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * R2R end to end on the embedded demo target and draft ({@code --lossy r2r}: {@link RouterAcceptance} with its
 * {@link io.specdec.verify.RouterStopRule}): the small model generates and the target produces exactly the tokens the
 * router routes to it. Checked against a token-by-token simulation of that definition computed with plain forwards
 * of both models (no decoder): a router reading only the draft's top probability (keep the draft's token when it is
 * ≥ 0.5, else the target's argmax; at most 16 draft tokens in a row, the target's after them) must give the same text;
 * a router that routes everything gives the target's own greedy text; one that routes nothing gives the draft's own
 * greedy text for the first 16 tokens.
 */
class R2rRoutingTest {
    private static final String PROMPT = "Once upon a time";
    private static final int TOKENS = 48;
    private static final int CHUNK = 16;

    private static GenerationResult run(LoadedModel t, LlamaModel tm, LlamaModel dm, JudgeHead router) {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(TOKENS).optStopAtEos(false).build();
        RouterAcceptance routing = new RouterAcceptance(router, 0.5);
        return Speculation.decoder(tm, t.tokenizer(), DraftModelDrafter.builder().setModel(dm).build(), cfg)
                .optLossyPolicy(routing).optMaxDraft(CHUNK).build().generate(PROMPT);
    }

    private static float[] lastLogits(LlamaModel m, List<Integer> seq) {
        int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
        try (KvCache c = m.newCache(ids.length); ForwardResult r = m.forward(c, ids, ForwardOptions.LAST_ROW)) {
            return r.row(0);
        }
    }

    @Test
    void theTargetProducesExactlyTheRoutedTokens() throws Exception {
        LoadedModel t = ModelLoader.load(DemoModels.target());
        LoadedModel d = ModelLoader.load(DemoModels.draft());
        try (LlamaModel tm = t.newModel(); LlamaModel dm = d.newModel()) {
            int rdim = dm.config().dim() + DraftSignals.SCALARS;
            // the router's input is [hidden…, probability, top probability, margin, entropy]: read the top probability
            float[] w = new float[rdim];
            w[dm.config().dim() + 1] = 200f;
            GenerationResult routed = run(t, tm, dm, new JudgeHead(w, -100f, "demo"));

            int[] prompt = t.tokenizer().encode(PROMPT, true);
            List<Integer> seq = new ArrayList<>();
            for (int id : prompt) {
                seq.add(id);
            }
            int emitted = 0;
            int fromTarget = 0;
            while (emitted < TOKENS) {
                int budget = Math.min(CHUNK, TOKENS - emitted - 1);
                for (int k = 0; k < budget; k++) {
                    float[] dl = lastLogits(dm, seq);
                    float top = 0;
                    for (float p : Distributions.softmax(dl)) {
                        top = Math.max(top, p);
                    }
                    if (top < 0.5f) {
                        break;
                    }
                    seq.add(Distributions.argmax(dl));
                    emitted++;
                }
                seq.add(Distributions.argmax(lastLogits(tm, seq)));
                emitted++;
                fromTarget++;
            }
            int[] expected = seq.subList(prompt.length, seq.size()).stream().mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, routed.ids(), "R2R: the draft's token where the router keeps it, else the"
                    + " target's");
            assertEquals(fromTarget, routed.speculation().rounds(), "one target forward per routed token or chunk");
            assertTrue(fromTarget > 2 && fromTarget < TOKENS / 2, "the demo draft is sure of some tokens and not of"
                    + " others: " + fromTarget + " routed of " + TOKENS);

            GenerationResult ar = AutoregressiveGenerator.builder().setModel(tm).setTokenizer(t.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(TOKENS).optStopAtEos(false).build()).build()
                    .generate(PROMPT);
            GenerationResult all = run(t, tm, dm, new JudgeHead(new float[rdim], -100f, "demo"));
            assertArrayEquals(ar.ids(), all.ids(), "a router that routes every token leaves the target's greedy text");
            assertEquals(0, all.speculation().drafted(), "nothing drafted is kept");

            GenerationResult none = run(t, tm, dm, new JudgeHead(new float[rdim], 100f, "demo"));
            GenerationResult draftAlone = AutoregressiveGenerator.builder().setModel(dm).setTokenizer(d.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(CHUNK).optStopAtEos(false).build()).build()
                    .generate(PROMPT);
            assertArrayEquals(draftAlone.ids(), Arrays.copyOf(none.ids(), CHUNK), "a router that routes nothing: the"
                    + " draft's own greedy text, " + CHUNK + " tokens per target forward");
            assertEquals((TOKENS + CHUNK) / (CHUNK + 1), none.speculation().rounds());
        }
        RouterAcceptance r = new RouterAcceptance(new JudgeHead(new float[8], 0f, "demo"), 0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.stopRule(CHUNK).begin(SamplingConfig.builder().optTemperature(1f).build()));
        assertTrue(e.getMessage().contains("greedy decoding only"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.stopRule(0));
    }
}
