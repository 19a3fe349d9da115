package io.specdec.bench.jmh;

import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import java.nio.file.Files;
import java.nio.file.Path;

/** Models the benchmarks run on: the real stories260K from {@code SPECDEC_SHARED}, and random configs by name. */
public final class BenchModels {
    private BenchModels() {}

    /** ~27M parameters: dim 512, 6 layers, 8 heads, SwiGLU 1376, vocab 8000, untied head. */
    public static final LlamaConfig RANDOM_25M =
            new LlamaConfig(512, 1376, 6, 8, 8, 64, 8000, 1024, 1e-5f, 10000f, false, false, 1, 2);

    /** {@code stories260K} (shared GGUF) or {@code random25M}. */
    public static LlamaModel load(String name) {
        switch (name) {
            case "stories260K": {
                Path p = shared().resolve("models/stories260K.gguf");
                if (!Files.isRegularFile(p)) {
                    throw new IllegalStateException(p + " not found: set SPECDEC_SHARED to the shared/ folder");
                }
                return new LlamaModel(ModelLoader.load(p).weights());
            }
            case "random25M":
                return new LlamaModel(LlamaWeights.random(RANDOM_25M, 1, 0.02f));
            default:
                throw new IllegalArgumentException("unknown benchmark model " + name);
        }
    }

    /** {@code SPECDEC_SHARED}, else {@code ../shared}. */
    public static Path shared() {
        String env = System.getenv("SPECDEC_SHARED");
        return Path.of(env != null && !env.isBlank() ? env : "../shared");
    }
}
