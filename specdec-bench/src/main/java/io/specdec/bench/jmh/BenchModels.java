package io.specdec.bench.jmh;

import io.specdec.cli.suite.BenchPaths;
import io.specdec.cli.suite.Twins;
import io.specdec.io.ModelLoader;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Models the benchmarks run on, by name: the real {@code stories260K} and {@code draft43K} from
 * {@code SPECDEC_SHARED}, its cost twins {@code twin25M} and {@code twin150M} (built into {@code SPECDEC_CACHE} on
 * first use), and {@code random25M} (random weights, no files needed).
 */
public final class BenchModels {
    private BenchModels() {}

    /** ~27M parameters: dim 512, 6 layers, 8 heads, SwiGLU 1376, vocab 8000, untied head. */
    public static final LlamaConfig RANDOM_25M =
            new LlamaConfig(512, 1376, 6, 8, 8, 64, 8000, 1024, 1e-5f, 10000f, false, false, 1, 2);

    /** Loads a model by name with the configured kernel ({@link io.specdec.model.Kernels}). */
    public static LlamaModel load(String name) {
        return load(name, io.specdec.model.Kernels.requested());
    }

    /** Loads a model by name with kernel {@code auto}, {@code torch} or {@code vector}. */
    public static LlamaModel load(String name, String kernel) {
        try {
            return switch (name) {
                case "stories260K" -> ModelLoader.load(shared("stories260K.gguf")).newModel(kernel);
                case "draft43K" -> new LlamaModel(ModelLoader.load(shared("draft43K.gguf")).weights()
                        .withContextLength(512), kernel);
                case "twin25M" -> ModelLoader.load(Twins.ensure(shared("stories260K.gguf"), "25M",
                        Inflation.TWIN_25M, BenchPaths.cache(), System.err)).newModel(kernel);
                case "twin150M" -> ModelLoader.load(Twins.ensure(shared("stories260K.gguf"), "150M",
                        Inflation.TWIN_150M, BenchPaths.cache(), System.err)).newModel(kernel);
                case "random25M" -> new LlamaModel(LlamaWeights.random(RANDOM_25M, 1, 0.02f), kernel);
                default -> {
                    if (name.startsWith("file:")) {
                        // any checkpoint by path, e.g. -p model=file:/tmp/twin1b-q4_0.gguf (weights as stored)
                        yield ModelLoader.load(java.nio.file.Path.of(name.substring(5))).newModel(kernel);
                    }
                    throw new IllegalArgumentException("unknown benchmark model " + name
                            + " (stories260K, draft43K, twin25M, twin150M, random25M or file:PATH)");
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path shared(String file) {
        Path p = BenchPaths.shared().resolve("models").resolve(file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " not found: set SPECDEC_SHARED to the shared/ folder");
        }
        return p;
    }
}
