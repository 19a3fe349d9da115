package io.specdec.drafters.draftmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.contract.DistributionCheck;
import io.specdec.verify.Speculation;
import io.specdec.verify.TreeVerifier;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The draft-model chain with LLMCad's pipeline on (the next round drafted during verification, used when the round
 * went as the drafter guessed) through the whole drafter contract — greedy identity on stories260K, the sampling
 * distribution, KV equivalence — plus two checks that the lookahead path really runs: on stories260K most lookaheads
 * are used and the output is still AR's; and a four-token sampled generation with K = 1, where a used lookahead
 * supplies round two's draft, follows the target's exact distribution of tokens two to four.
 */
class DraftModelPipelineContractTest extends DraftModelContract {
    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.CHAIN;
    }

    @Override
    protected boolean pipeline() {
        return true;
    }

    @Test
    void lookaheadsAreUsedAndGreedyStaysAutoregressive() {
        assertLookaheadsUsedAndGreedyAutoregressive(3);
    }

    @Test
    void usedLookaheadsKeepTheSamplingDistribution() {
        SamplingConfig s = SamplingConfig.builder().optTemperature(1f).build();
        int v = tinyTarget.config().vocabSize();
        // exact distribution of tokens 2..4 after [BOS]: Σ_a p(a | BOS) · p(b, c, d | BOS a)
        double[] first = DistributionCheck.exactTriples(tinyTarget, new int[] {1}, s);
        double[] exact = new double[v * v * v];
        for (int a = 0; a < v; a++) {
            double pa = 0;
            for (int j = 0; j < v * v; j++) {
                pa += first[a * v * v + j];
            }
            if (pa == 0) {
                continue;
            }
            double[] rest = DistributionCheck.exactTriples(tinyTarget, new int[] {1, a}, s);
            for (int j = 0; j < rest.length; j++) {
                exact[j] += pa * rest[j];
            }
        }
        var drafter = tinyDrafter(tinyTarget);
        Map<Integer, Integer> counts = new HashMap<>();
        int hits = 0;
        int samples = SAMPLES / 2;
        for (int i = 0; i < samples; i++) {
            SamplingConfig si = SamplingConfig.builder().optTemperature(1f).optSeed(1_000_003L * i + 29).build();
            GenerationConfig ci = GenerationConfig.builder().optMaxNewTokens(4).optStopAtEos(false).optSampling(si)
                    .build();
            SpeculativeDecoder d = SpeculativeDecoder.builder().setVerifier(TreeVerifier.factory(tinyTarget))
                    .setTokenizer(tinyTokenizer()).setDrafter(drafter).optController(LengthControllers.fixed(1))
                    .optConfig(ci).optPipeline(true).build();
            GenerationResult r;
            try (var g = d.start(new int[] {1})) {
                r = g.result();
            }
            int[] ids = r.ids();
            assertEquals(4, ids.length);
            counts.merge(ids[1] * v * v + ids[2] * v + ids[3], 1, Integer::sum);
            hits += r.speculation().lookaheadHits();
        }
        DistributionCheck.ChiSquare chi = DistributionCheck.chiSquare(counts, samples, exact);
        System.out.printf("[contract] pipeline K=1, tokens 2-4: %s, %d lookaheads used over %d samples%n", chi, hits,
                samples);
        assertTrue(hits > samples / 20, "lookaheads must be used often enough to matter: " + hits);
        assertTrue(chi.z() <= Z_MAX, "pipelined samples do not follow the target distribution: " + chi);
    }
}
