package io.specdec.bench.cli;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code soak}: runs many generations in one process and reports resident memory (VmRSS) over time, to check that
 * native memory stays flat (every forward frees its intermediates; caches are closed per request). Growth is
 * measured from the end of the warm-up (first 10% of generations) to the end.
 */
final class SoakCommand {
    private final PrintStream out;
    private final PrintStream err;

    SoakCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] argv) {
        Args a = new Args(argv, 1, Set.of("model", "generations", "max-tokens", "temperature", "threads"),
                Set.of("verbose"));
        String model = a.get("model");
        if (model == null) {
            throw new Args.UsageException("soak needs --model PATH");
        }
        int n = a.getInt("generations", 1000);
        int maxTokens = a.getInt("max-tokens", 128);
        float temperature = a.getFloat("temperature", 0.8f);
        LoadedModel lm = Progress.load(Path.of(model), err);
        String[] prompts = {"Once upon a time", "Lily and Ben were", "The little dog", "One day, a girl named Sue"};
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            long warmRss = 0;
            long startRss = rssKb();
            long maxRss = startRss;
            long tokens = 0;
            long t0 = System.nanoTime();
            int warm = Math.max(1, n / 10);
            for (int i = 1; i <= n; i++) {
                SamplingConfig s = SamplingConfig.builder().optTemperature(temperature).optSeed(i).build();
                AutoregressiveGenerator g = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                        .optConfig(GenerationConfig.builder().optMaxNewTokens(maxTokens).optStopAtEos(false)
                                .optSampling(s).build())
                        .build();
                GenerationResult r = g.generate(prompts[i % prompts.length]);
                tokens += r.ids().length;
                long rss = rssKb();
                maxRss = Math.max(maxRss, rss);
                if (i == warm) {
                    warmRss = rss;
                }
                if (i % Math.max(1, n / 10) == 0 || i == n) {
                    out.printf("generation %5d: RSS %,d KiB, %,d tokens, %.1f tokens/s%n", i, rss, tokens,
                            tokens / ((System.nanoTime() - t0) / 1e9));
                }
            }
            long end = rssKb();
            out.printf("RSS at start %,d KiB, after warm-up (%d generations) %,d KiB, at end %,d KiB, max %,d KiB;"
                    + " growth after warm-up: %.1f MiB over %d generations of %d tokens%n", startRss, warm, warmRss,
                    end, maxRss, (end - warmRss) / 1024.0, n - warm, maxTokens);
        }
        return 0;
    }

    /** Resident set size from /proc/self/status, in KiB (0 where unavailable). */
    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
