package io.specdec.cli.suite;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.CheckpointWriter;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.Inflation;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.SamplingConfig;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tensor.GgmlType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Cost twins on demand (BENCHMARKING.md): {@link Inflation} of a checkpoint, written once as GGUF into a cache
 * directory ({@code <cache>/twins/<name>-twin<size>-seed<seed>.gguf}, via a temporary file and an atomic move) and
 * reused after that; plus the check that a twin computes the original's function. Not committed to the repository.
 */
public final class Twins {
    private Twins() {}

    /**
     * Result of comparing a twin with its original.
     *
     * @param maxLogitDiff max |logit difference| over every prompt position
     * @param greedyIdentical whether greedy decoding of {@code tokens} tokens gave the same ids
     * @param tokens tokens compared
     */
    public record Check(double maxLogitDiff, boolean greedyIdentical, int tokens) {
        /**
         * True when the twin passes: logits within 1e-4 and identical greedy output (what an F32 twin must show; a
         * quantized twin reports its quantisation error here instead).
         */
        public boolean passed() {
            return maxLogitDiff <= 1e-4 && greedyIdentical;
        }
    }

    /** The F32 twin of {@code original} with {@code shape} ("25M", "150M"), built and cached when absent. */
    public static Path ensure(Path original, String shapeName, Inflation.Shape shape, Path cacheDir, PrintStream log)
            throws IOException {
        return ensure(original, shapeName, shape, GgmlType.F32, cacheDir, log);
    }

    /**
     * The twin of {@code original} with {@code shape}, its matrices stored as {@code type} (F32, or Q4_0/Q8_0 for the
     * real-shape targets), built and cached when absent. Written one layer at a time ({@link Inflation#twin}), so
     * even the 1B twin needs no large heap.
     */
    public static Path ensure(Path original, String shapeName, Inflation.Shape shape, GgmlType type, Path cacheDir,
            PrintStream log) throws IOException {
        String base = original.getFileName().toString().replaceFirst("\\.(gguf|bin)$", "");
        String suffix = type == GgmlType.F32 ? "" : "-" + type.name().toLowerCase(java.util.Locale.ROOT);
        Path dst = cacheDir.resolve("twins").resolve(base + "-twin" + shapeName + suffix + "-seed2.gguf");
        if (Files.isRegularFile(dst)) {
            return dst;
        }
        Files.createDirectories(dst.getParent());
        log.printf("building cost twin %s of %s (%s)%n", shapeName, original.getFileName(), shape);
        try (io.specdec.cli.progress.Progress bar = io.specdec.cli.progress.Progress.start(log, "twin " + shapeName, 3,
                null)) {
            bar.message("loading");
            LoadedModel lm = ModelLoader.load(original);
            if (!(lm.tokenizer() instanceof SentencePieceBpeTokenizer spm)) {
                throw new IllegalArgumentException(original + ": twins are written as GGUF and need a SentencePiece"
                        + " vocabulary");
            }
            bar.step();
            bar.message("inflating");
            Inflation.Twin twin = Inflation.twin(lm.weights(), shape, 1);
            bar.step();
            bar.message("writing " + type);
            Path tmp = Files.createTempFile(dst.getParent(), base, ".gguf.tmp");
            try {
                CheckpointWriter.writeGguf(twin, spm, tmp, type);
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            bar.step();
            bar.message("written");
        }
        return dst;
    }

    /** Compares the twin with the original on one prompt: all prompt-position logits and greedy decoding. */
    public static Check check(LoadedModel original, LoadedModel twin, LlamaModel twinModel, String prompt,
            int tokens) {
        int[] ids = original.tokenizer().encode(prompt, true);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                .optSampling(SamplingConfig.GREEDY).build();
        try (LlamaModel orig = new LlamaModel(original.weights());
                KvCache a = orig.newCache(ids.length);
                KvCache b = twinModel.newCache(ids.length)) {
            ForwardResult ra = orig.forward(a, ids, ForwardOptions.DEFAULT);
            ForwardResult rb = twinModel.forward(b, ids, ForwardOptions.DEFAULT);
            double max = 0;
            for (int i = 0; i < ra.logits().length; i++) {
                max = Math.max(max, Math.abs(ra.logits()[i] - rb.logits()[i]));
            }
            int[] ga = AutoregressiveGenerator.builder().setModel(orig).setTokenizer(original.tokenizer())
                    .optConfig(cfg).build().generate(prompt).ids();
            int[] gb = AutoregressiveGenerator.builder().setModel(twinModel).setTokenizer(twin.tokenizer())
                    .optConfig(cfg).build().generate(prompt).ids();
            return new Check(max, Arrays.equals(ga, gb), ga.length);
        }
    }
}
