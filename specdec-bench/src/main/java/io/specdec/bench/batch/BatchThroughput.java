package io.specdec.bench.batch;

import io.specdec.Specdec;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.model.BatchedModel;
import io.specdec.sampling.SamplingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of concurrent generations under continuous batching ({@code Specdec.optBatching}), plain decoding,
 * speculative decoding with a draft model at a static K, and the same draft under the batch budget
 * ({@code BatchBudget}: K from the batch size and the measured cost curves) side by side, at each concurrency B: B threads each generate
 * {@code tokens} greedy tokens from their own prompt at the same time. Reports the batch's tokens/s, the mean
 * per-sequence ms per token, τ, the rounds and rows per round of the batched target forward, peak live KV-cache bytes,
 * and whether every sequence's text equals its single-sequence text (greedy: it must). Prints Markdown.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.batch.BatchThroughput \
 *     model=twin.gguf [draft=draft.gguf] [concurrency=1,2,4,8,16] [tokens=64] [k=4] [modes=ar,static,budget]
 * }</pre>
 */
public final class BatchThroughput {
    private static final String[] PROMPTS = {"Once upon a time", "Tom and Lily went to the park", "One day, a little",
        "The sun was shining", "There was a big dog", "Sue had a red ball", "Ben liked to play", "The cat sat",
        "Mom said", "A bird flew", "Lily wanted a", "In the morning", "The boy was sad", "Tim found a box",
        "It was a cold day", "Anna and her mom"};

    private BatchThroughput() {}

    private static String arg(String[] args, String k, String dflt) {
        for (String a : args) {
            if (a.startsWith(k + "=")) {
                return a.substring(k.length() + 1);
            }
        }
        return dflt;
    }

    /** One measured batch. */
    record Run(int b, double seconds, long tokens, double msPerToken, double tau, long[] rounds, long peakKv,
            int identical) {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(arg(args, "model", ""));
        String draft = arg(args, "draft", null);
        int tokens = Integer.parseInt(arg(args, "tokens", "64"));
        int[] bs = Arrays.stream(arg(args, "concurrency", "1,2,4,8,16").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        String k = arg(args, "k", "4");
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optSampling(SamplingConfig.GREEDY)
                .optStopAtEos(false).build();
        System.out.printf(Locale.ROOT, "## Continuous batching: %s, %d greedy tokens per sequence, %d cores%n%n",
                model.getFileName(), tokens, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "| decoding | B | tokens/s (batch) | x vs B=1 | ms/token per sequence | τ |"
                + " rounds | rows/round | peak KV MB | identical to alone |%n| --- | ---: | ---: | ---: | ---: | ---: |"
                + " ---: | ---: | ---: | ---: |%n");
        List<String> which = List.of(arg(args, "modes", "ar,static,budget").split(","));
        List<String> modes = new ArrayList<>();
        if (which.contains("ar")) {
            modes.add("AR");
        }
        if (draft != null && which.contains("static")) {
            modes.add("draft K=" + k);
        }
        if (draft != null && which.contains("budget")) {
            modes.add("draft, batch budget K≤" + k);
        }
        for (String mode : modes) {
            Specdec.Builder b = Specdec.builder().setModel(model).optConfig(cfg).optBatching(true);
            if (mode.startsWith("draft K")) {
                b.optDraftModel(Path.of(draft)).optController("static").optControllerOption("k", k);
            } else if (mode.startsWith("draft,")) {
                b.optDraftModel(Path.of(draft)).optDrafterOption("k", k); // no controller: BatchBudget
            }
            try (Specdec lm = b.build()) {
                TextGenerator gen = lm.withConfig(cfg);
                BatchedModel bm = lm.batching().orElseThrow();
                String[] alone = new String[PROMPTS.length];
                for (int i = 0; i < PROMPTS.length; i++) { // the single-sequence reference, also the warm-up
                    alone[i] = gen.generate(PROMPTS[i]).text();
                }
                double base = 0;
                for (int n : bs) {
                    Run r = run(lm, gen, bm, n, alone);
                    if (n == bs[0]) {
                        base = r.tokens / r.seconds;
                    }
                    System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %.1f | %.2f | %d | %.1f | %.1f | %d of %d"
                            + " |%n", mode, n, r.tokens / r.seconds, r.tokens / r.seconds / base, r.msPerToken,
                            r.tau, r.rounds[0], r.rounds[1] / (double) Math.max(1, r.rounds[0]), r.peakKv / 1e6,
                            r.identical, n);
                }
            }
        }
        System.exit(0);
    }

    private static Run run(Specdec lm, TextGenerator gen, BatchedModel bm, int n, String[] alone) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        AtomicLong peak = new AtomicLong();
        long[] before = bm.roundStats();
        List<Future<GenerationResult>> fs = new ArrayList<>();
        long[] ends = new long[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int s = i;
            fs.add(pool.submit(() -> {
                GenerationResult res = gen.generate(PROMPTS[s % PROMPTS.length], t -> {
                    long kv = lm.model().liveCacheBytes();
                    peak.accumulateAndGet(kv, Math::max);
                });
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
            msPerToken += (ends[i] - t0) / 1e6 / res.ids().length / n;
            tau += (res.speculation() == null ? 1 : res.speculation().tau()) / n;
            same += res.text().equals(alone[i % PROMPTS.length]) ? 1 : 0;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        long[] after = bm.roundStats();
        return new Run(n, seconds, total, msPerToken, tau, new long[] {after[0] - before[0], after[1] - before[1]},
                peak.get(), same);
    }
}
