package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.model.BatchedModel;
import io.specdec.sampling.SamplingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching ({@code optBatching}) keeps every sequence's output: 16 generations started together — mixed
 * prompts and lengths, half greedy and half sampled (T 0.8, each its own seed) — each give exactly the text they give
 * alone, while their forwards really ran in shared rounds: plain decoding, and speculative decoding with the draft
 * model at a static K = 4. Sampled runs equal to the single-sequence run with the same seed carry the
 * single-sequence contract (DrafterContract) over. Under the default batch budget the draft length depends on the
 * batch, so a sampled sequence draws other random numbers than alone (same distribution: the
 * {@code DraftModelBatchBudgetContractTest}); there all 16 run greedy and must again equal their alone outputs.
 */
class BatchingTest {
    private static final String[] PROMPTS = {"Once upon a time", "Tom and Lily went to the park", "One day, a little",
        "The sun was shining", "There was a big dog", "Sue had a red ball", "Ben liked to play", "The cat sat",
        "Mom said", "A bird flew", "Lily wanted a", "In the morning", "The boy was sad", "Tim found a box",
        "It was a cold day and the wind blew hard through the old trees", "Anna and her mom"};

    private static GenerationConfig config(int i, boolean sampledHalf) {
        SamplingConfig s = i % 2 == 0 || !sampledHalf ? SamplingConfig.GREEDY
                : SamplingConfig.builder().optTemperature(0.8f).optSeed(100 + i).build();
        return GenerationConfig.builder().optMaxNewTokens(4 + 3 * i).optSampling(s).build();
    }

    @Test
    void sixteenConcurrentGenerationsEachGiveTheirAloneOutput() throws Exception {
        for (String mode : new String[] {"plain", "draft K=4", "draft, batch budget"}) {
            Specdec.Builder b = Specdec.builder().setModel(DemoModels.target()).optBatching(true);
            if (!mode.equals("plain")) {
                b.optDraftModel(DemoModels.draft());
            }
            if (mode.equals("draft K=4")) {
                b.optController("static").optControllerOption("k", "4");
            }
            boolean sampled = !mode.equals("draft, batch budget");
            try (Specdec lm = b.build()) {
                String[] alone = new String[PROMPTS.length];
                for (int i = 0; i < PROMPTS.length; i++) {
                    alone[i] = lm.withConfig(config(i, sampled)).generate(PROMPTS[i]).text();
                }
                BatchedModel bm = lm.batching().orElseThrow();
                long[] before = bm.roundStats();
                ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.length);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> fs = new ArrayList<>();
                for (int i = 0; i < PROMPTS.length; i++) {
                    int s = i;
                    fs.add(pool.submit(() -> {
                        go.await();
                        return lm.withConfig(config(s, sampled)).generate(PROMPTS[s]).text();
                    }));
                }
                go.countDown();
                for (int i = 0; i < PROMPTS.length; i++) {
                    assertEquals(alone[i], fs.get(i).get(120, TimeUnit.SECONDS), mode + ", sequence " + i + " ("
                            + (i % 2 == 0 || !sampled ? "greedy" : "T 0.8") + ")");
                }
                pool.shutdown();
                long[] after = bm.roundStats();
                double itemsPerRound = (after[2] - before[2]) / (double) (after[0] - before[0]);
                assertTrue(itemsPerRound > 2, "forwards were batched: " + itemsPerRound + " sequences per round");
                System.out.printf("[batching] %s: 16 sequences, %d rounds, %.1f sequences and %.1f rows per round%n",
                        mode, after[0] - before[0], itemsPerRound,
                        (after[1] - before[1]) / (double) (after[0] - before[0]));
            }
        }
    }

    @Test
    void aMemoryBudgetIsKeptBySpeculatingLessAndWaiting() throws Exception {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(40).build();
        long specNeed;
        try (Specdec probe = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optBatching(true).optConfig(cfg).optMemoryBudget(Long.MAX_VALUE).build()) {
            probe.generate(PROMPTS[0]);
            specNeed = probe.memoryReserved()[1];
        }
        long budget = specNeed * 11 / 4; // two speculative sequences, then a plain one (no draft cache), then waiting
        try (Specdec lm = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optBatching(true).optConfig(cfg).optMemoryBudget(budget).build()) {
            String[] alone = new String[8];
            for (int i = 0; i < alone.length; i++) {
                alone[i] = lm.generate(PROMPTS[i]).text();
            }
            ExecutorService pool = Executors.newFixedThreadPool(alone.length);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<io.specdec.generate.GenerationResult>> fs = new ArrayList<>();
            for (int i = 0; i < alone.length; i++) {
                int s = i;
                fs.add(pool.submit(() -> {
                    go.await();
                    return lm.generate(PROMPTS[s]);
                }));
            }
            go.countDown();
            int plain = 0;
            for (int i = 0; i < alone.length; i++) {
                io.specdec.generate.GenerationResult r = fs.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(alone[i], r.text(), "sequence " + i);
                plain += r.speculation() == null ? 1 : 0;
            }
            pool.shutdown();
            long[] mem = lm.memoryReserved();
            assertEquals(0, mem[0], "everything given back");
            assertTrue(mem[1] <= budget, "peak " + mem[1] + " within the budget " + budget);
            assertTrue(plain > 0, "some requests ran without speculation to fit");
        }
        try (Specdec tiny = Specdec.builder().setModel(DemoModels.target()).optBatching(true).optConfig(cfg)
                .optMemoryBudget(1000).build()) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> tiny.generate(PROMPTS[0]));
            assertTrue(e.getMessage().matches("the request needs \\d+ bytes of KV cache, more than the memory budget of"
                    + " 1000 bytes"), e.getMessage());
        }
    }
}
