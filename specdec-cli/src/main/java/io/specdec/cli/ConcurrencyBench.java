package io.specdec.cli;

import io.specdec.Specdec;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.model.BatchedModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Throughput of concurrent generations under continuous batching ({@code Specdec.optBatching}), one decoding mode
 * after another (plain decoding, then each drafter), at each concurrency B: B threads each generate their tokens from
 * their own prompt at the same time. Per row: the batch's tokens/s, the ratio to the mode's B = 1 and to plain
 * decoding at the same B, the mean per-sequence ms per token, τ, rounds and rows per round of the batched target
 * forward, peak live KV-cache bytes, and how many sequences' texts equal their single-sequence text (greedy: all
 * must). The single-sequence runs of every prompt come first and double as the warm-up. Prints Markdown. Used by
 * {@code bench --concurrency} and {@code io.specdec.bench.batch.BatchThroughput}.
 */
public final class ConcurrencyBench {
    /** Default prompts (16 story openings) when none are given. */
    public static final List<String> PROMPTS = List.of("Once upon a time", "Tom and Lily went to the park",
            "One day, a little", "The sun was shining", "There was a big dog", "Sue had a red ball",
            "Ben liked to play", "The cat sat", "Mom said", "A bird flew", "Lily wanted a", "In the morning",
            "The boy was sad", "Tim found a box", "It was a cold day", "Anna and her mom");

    /** One decoding mode: its name and how to build its model (with batching on). */
    public record Mode(String name, Supplier<Specdec> build) {}

    private ConcurrencyBench() {}

    /** Runs every mode at every B and prints one Markdown table. */
    public static void run(PrintStream out, String modelName, List<Mode> modes, List<String> prompts,
            GenerationConfig cfg, int[] bs) throws Exception {
        out.printf(Locale.ROOT, "## Continuous batching: %s, %d new tokens per sequence, %s, %d cores%n%n", modelName,
                cfg.maxNewTokens(), cfg.sampling().isGreedy() ? "greedy" : cfg.sampling().toString(),
                Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "| decoding | B | tokens/s (batch) | x vs its B=1 | x vs AR at B | ms/token per sequence"
                + " | τ | rounds | rows/round | peak KV MB (target + draft) | identical to alone |%n| --- | ---: | ---: | ---: | ---: |"
                + " ---: | ---: | ---: | ---: | ---: | ---: |%n");
        double[] ar = new double[bs.length];
        for (int m = 0; m < modes.size(); m++) {
            Mode mode = modes.get(m);
            try (Specdec lm = mode.build().get()) {
                TextGenerator gen = lm.withConfig(cfg);
                BatchedModel bm = lm.batching().orElseThrow(() -> new IllegalArgumentException(mode.name()
                        + ": the model was built without batching"));
                String[] alone = new String[prompts.size()];
                for (int i = 0; i < alone.length; i++) {
                    alone[i] = gen.generate(prompts.get(i)).text();
                }
                double base = 0;
                for (int j = 0; j < bs.length; j++) {
                    double[] r = batch(lm, gen, bm, bs[j], prompts, alone);
                    if (j == 0) {
                        base = r[0];
                    }
                    if (m == 0) {
                        ar[j] = r[0];
                    }
                    out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %.2f | %.1f | %.2f | %.0f | %.1f | %.1f | %.0f of %d"
                            + " |%n", mode.name(), bs[j], r[0], r[0] / base, r[0] / ar[j], r[1], r[2], r[3], r[4],
                            r[5] / 1e6, r[6], bs[j]);
                }
            }
        }
    }

    /** KV-cache bytes held now by the target's and the draft model's caches. */
    static long liveKv(Specdec lm) {
        long draft = lm.drafter() == null ? 0 : lm.drafter().draftModelIfAny()
                .filter(d -> d instanceof io.specdec.model.LlamaModel)
                .map(d -> ((io.specdec.model.LlamaModel) d).liveCacheBytes()).orElse(0L);
        return lm.model().liveCacheBytes() + draft;
    }

    /** {tokens/s, ms/token, τ, rounds, rows/round, peak KV bytes, identical}. */
    private static double[] batch(Specdec lm, TextGenerator gen, BatchedModel bm, int n, List<String> prompts,
            String[] alone) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        AtomicLong peak = new AtomicLong();
        long[] before = bm.roundStats();
        List<Future<GenerationResult>> fs = new ArrayList<>();
        long[] ends = new long[n];
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                int s = i;
                fs.add(pool.submit(() -> {
                    GenerationResult res = gen.generate(prompts.get(s % prompts.size()),
                            t -> peak.accumulateAndGet(liveKv(lm), Math::max));
                    ends[s] = System.nanoTime();
                    return res;
                }));
            }
            long total = 0;
            double msPerToken = 0;
            double tau = 0;
            int same = 0;
            for (int i = 0; i < n; i++) {
                GenerationResult res = fs.get(i).get();
                total += res.ids().length;
                msPerToken += (ends[i] - t0) / 1e6 / Math.max(1, res.ids().length) / n;
                tau += (res.speculation() == null ? 1 : res.speculation().tau()) / n;
                same += res.text().equals(alone[i % prompts.size()]) ? 1 : 0;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long[] after = bm.roundStats();
            long rounds = after[0] - before[0];
            return new double[] {total / seconds, msPerToken, tau, rounds,
                (after[1] - before[1]) / (double) Math.max(1, rounds), peak.get(), same};
        } finally {
            pool.shutdown();
        }
    }
}
