package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TokenLogprobs;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import org.junit.jupiter.api.Test;

/**
 * Per-token log-probabilities: what speculative decoding reports equals the log-softmax of the target's own logits
 * at each position, recomputed here by a plain forward over the whole generated sequence (an independent path: one
 * causal forward, no drafting, no cache reuse).
 */
class LogprobsTest {
    @Test
    void speculativeLogprobsAreTheTargetsOwn() {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(24).optLogprobs(5).build();
        try (Specdec spec = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optConfig(cfg).build();
                Specdec plain = Specdec.builder().setModel(DemoModels.target()).optConfig(cfg).build()) {
            GenerationResult r = spec.generate("Once upon a time");
            GenerationResult ar = plain.generate("Once upon a time");
            assertArrayEquals(ar.ids(), r.ids());
            assertEquals(r.ids().length, r.logprobs().size());
            int[] all = r.allIds();
            int p = r.promptIds().length;
            int vocab = spec.model().config().vocabSize();
            try (KvCache cache = spec.model().newCache(all.length);
                    ForwardResult f = spec.model().forward(cache, all, ForwardOptions.DEFAULT)) {
                float[] logits = f.logits();
                for (int i = 0; i < r.ids().length; i++) {
                    float[] row = java.util.Arrays.copyOfRange(logits, (p - 1 + i) * vocab, (p + i) * vocab);
                    double lse = io.specdec.sampling.TopK.logSumExp(row);
                    TokenLogprobs lp = r.logprobs().get(i);
                    assertEquals(row[r.ids()[i]] - lse, lp.logprob(), 1e-3, "token " + i);
                    assertEquals(r.ids()[i], lp.topIds()[0], "greedy picks the most likely token");
                    assertEquals(5, lp.topIds().length);
                    for (int k = 0; k < 5; k++) {
                        assertEquals(row[lp.topIds()[k]] - lse, lp.topLogprobs()[k], 1e-3);
                    }
                    assertEquals(ar.logprobs().get(i).logprob(), lp.logprob(), 1e-3, "AR reports the same");
                }
            }
            assertTrue(plain.generate("Once").logprobs().size() > 0);
        }
    }
}
