package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code soak}: runs many generations in one process and reports memory over time, the Java heap and native memory
 * separately: native = resident set (VmRSS) minus the committed Java heap, which is what the heap can add to RSS —
 * so heap growth (the collector choosing a larger heap) is not mistaken for a native leak. The figure is exact when
 * the whole heap is resident from the start ({@code java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -jar specdec.jar
 * soak ...}); otherwise heap pages touched for the first time count as native, and the command says so. The JIT
 * compiler's own native arenas are not in the JVM's non-heap figure: C2 compiling the decode loop added a one-time
 * ~50–65 MB step (measured: absent with {@code -XX:TieredStopAtLevel=1}, which leaves only what the libraries hold). Growth is measured from the
 * end of the warm-up (first 10% of generations) to the end; native growth above {@code --max-native-growth} MiB fails
 * the command (exit 1).
 */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Many generations in one process; reports heap and native memory; fails if native memory grows.")
final class SoakCommand extends Subcommand {

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "the checkpoint")
    Path model;
    @Option(names = "--generations", paramLabel = "N", description = "default 1000")
    int generations = 1000;
    @Option(names = "--max-tokens", paramLabel = "N", description = "per generation; default 128")
    int maxTokens = 128;
    @Option(names = "--temperature", paramLabel = "T", description = "default 0.8")
    float temperature = 0.8f;
    @Option(names = "--max-native-growth", paramLabel = "MiB", description = "native growth after warm-up that"
            + " fails the soak; default 64")
    double maxNativeGrowth = 64;
    @Option(names = "--mode", paramLabel = "MODE", description = "normal (complete generations), failing (a drafter"
            + " that throws mid-generation, through generate(String)) or cancelled (start, two tokens, cancel(), never"
            + " closed); default normal")
    String mode = "normal";

    /** A drafter that fails on its third proposal: the failure path of a generation. */
    private static final class FailingDrafter implements io.specdec.speculation.Drafter {
        private final int vocab;
        private int calls;

        FailingDrafter(int vocab) {
            this.vocab = vocab;
        }

        @Override
        public void begin(io.specdec.speculation.PromptContext p) {}

        @Override
        public io.specdec.speculation.DraftTree propose(io.specdec.speculation.DraftContext ctx) {
            if (++calls == 3) {
                throw new IllegalStateException("soak: injected drafter failure");
            }
            return io.specdec.speculation.DraftTree.empty();
        }

        @Override
        public int vocabSize() {
            return vocab;
        }
    }

    /** One generation of the chosen mode; returns the tokens it produced. */
    private int once(LlamaModel m, LoadedModel lm, int i, String prompt) {
        SamplingConfig s = SamplingConfig.builder().optTemperature(temperature).optSeed(i).build();
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens).optStopAtEos(false)
                .optSampling(s).build();
        int vocab = m.config().vocabSize();
        switch (mode) {
            case "failing" -> {
                var d = io.specdec.verify.Speculation.decoder(m, lm.tokenizer(), () -> new FailingDrafter(vocab), cfg)
                        .build();
                try {
                    d.generate(prompt);
                    throw new IllegalStateException("the injected failure did not happen");
                } catch (IllegalStateException e) {
                    if (!e.getMessage().startsWith("soak: injected")) {
                        throw e;
                    }
                }
                return 0;
            }
            case "cancelled" -> {
                var d = io.specdec.verify.Speculation.decoder(m, lm.tokenizer(),
                        io.specdec.drafters.lookup.PromptLookupDrafter.builder().setVocabSize(vocab).build(), cfg)
                        .build();
                io.specdec.generate.Generation g = d.start(prompt);
                int n = 0;
                while (n < 2 && g.hasNext()) {
                    g.next();
                    n++;
                }
                g.cancel(); // and never closed: the generation must free its caches itself
                return n;
            }
            default -> {
                return AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer()).optConfig(cfg)
                        .build().generate(prompt).ids().length;
            }
        }
    }

    /** One memory reading, in KiB. */
    record Memory(long rss, long heapUsed, long heapCommitted, long jvmNonHeap) {
        /**
         * RSS minus the committed heap and the JVM's own non-heap memory (code cache, metaspace): what native
         * libraries hold (exact when the heap is pre-touched: -Xms = -Xmx, -XX:+AlwaysPreTouch).
         */
        long nativeKb() {
            return rss - heapCommitted - jvmNonHeap;
        }

        static Memory now() {
            MemoryUsage h = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            MemoryUsage n = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
            return new Memory(rssKb(), h.getUsed() / 1024, h.getCommitted() / 1024, n.getCommitted() / 1024);
        }
    }

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        if (!java.util.List.of("normal", "failing", "cancelled").contains(mode)) {
            throw new CommandLine.ParameterException(cl, "--mode must be normal, failing or cancelled; found '" + mode
                    + "'");
        }
        if (generations < 1 || maxTokens < 1) {
            throw new CommandLine.ParameterException(cl, "--generations and --max-tokens must be >= 1; found "
                    + generations + ", " + maxTokens);
        }
        configure();
        PrintStream out = out();
        boolean preTouched = ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch");
        if (!preTouched) {
            out.println("note: the heap is not pre-touched (-XX:+AlwaysPreTouch with -Xms = -Xmx): heap pages touched"
                    + " for the first time count as native growth");
        }
        if (!ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:TieredStopAtLevel=1")) {
            out.println("note: the C2 JIT compiler's arenas count as native (a one-time step of ~50-65 MB measured);"
                    + " -XX:TieredStopAtLevel=1 leaves only what the libraries hold");
        }
        LoadedModel lm = Progress.load(model, main.err);
        String[] prompts = {"Once upon a time", "Lily and Ben were", "The little dog", "One day, a girl named Sue"};
        Memory start = Memory.now();
        Memory warm = null;
        Memory half = null;
        long maxNative = start.nativeKb();
        long tokens = 0;
        long t0 = System.nanoTime();
        int warmAt = Math.max(1, generations / 10);
        try (LlamaModel m = lm.newModel()) {
            for (int i = 1; i <= generations; i++) {
                tokens += once(m, lm, i, prompts[i % prompts.length]);
                Memory now = Memory.now();
                maxNative = Math.max(maxNative, now.nativeKb());
                if (i == warmAt) {
                    warm = now;
                }
                if (i == Math.max(warmAt, generations / 2)) {
                    half = now;
                }
                if (i % warmAt == 0 || i == generations) {
                    out.printf("generation %5d: native %,d KiB, heap %,d KiB used / %,d committed, RSS %,d KiB;"
                            + " %,d tokens, %.1f tokens/s%n", i, now.nativeKb(), now.heapUsed(), now.heapCommitted(),
                            now.rss(), tokens, tokens / ((System.nanoTime() - t0) / 1e9));
                }
            }
        }
        Memory end = Memory.now();
        double nativeGrowth = (end.nativeKb() - warm.nativeKb()) / 1024.0;
        out.printf("mode %s: ", mode);
        out.printf("native memory (RSS - committed heap - JVM non-heap): start %,d KiB, after warm-up (%d generations) %,d KiB, end"
                + " %,d KiB, max %,d KiB; growth after warm-up %.1f MiB over %d generations of %d tokens%n",
                start.nativeKb(), warmAt, warm.nativeKb(), end.nativeKb(), maxNative, nativeGrowth,
                generations - warmAt, maxTokens);
        out.printf("second half (generations %d..%d): native %+.1f MiB — a leak grows linearly, allocator pools level"
                + " off%n", Math.max(warmAt, generations / 2), generations, (end.nativeKb() - half.nativeKb()) / 1024.0);
        out.printf("Java heap: used %,d -> %,d KiB, committed %,d -> %,d KiB (the collector's choice, not a leak);"
                + " JVM non-heap (code cache, metaspace) %,d -> %,d KiB%n", warm.heapUsed(), end.heapUsed(),
                warm.heapCommitted(), end.heapCommitted(), warm.jvmNonHeap(), end.jvmNonHeap());
        if (rssKb() == 0) {
            out.println("(no /proc/self/status here: native memory cannot be measured)");
        } else if (nativeGrowth > maxNativeGrowth) {
            throw new IllegalStateException(String.format("native memory grew by %.1f MiB after warm-up (limit %.0f"
                    + " MiB): a leak", nativeGrowth, maxNativeGrowth));
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
