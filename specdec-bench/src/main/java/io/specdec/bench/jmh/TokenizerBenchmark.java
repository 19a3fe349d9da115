package io.specdec.bench.jmh;

import io.specdec.io.GgufFile;
import io.specdec.io.GgufLoader;
import io.specdec.tokenizer.HfTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding time of each tokenizer kind on 1 KB, 32 KB and 1 MB of English text (the MT-Bench questions of the shared
 * prompt sets, repeated): SentencePiece BPE (llama.cpp's {@code ggml-vocab-llama-spm.gguf}), byte-level BPE with the
 * GPT-2 and the DeepSeek-Coder pre-tokenizers (llama.cpp's vocabulary files) in Java and, as {@code -hf}, the same
 * vocabularies as an equivalent tokenizer.json on DJL's Rust tokenizers, and stories260K's own {@code tokenizer.json}
 * (a SentencePiece-style BPE) on them. Linear time means the 1 MB figure is about
 * 1,000 times the 1 KB one. One thread.
 *
 * <pre>{@code
 * java -jar specdec-bench/target/benchmarks.jar TokenizerBenchmark
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TokenizerBenchmark {
    @Param({"spm", "bpe-gpt2", "bpe-gpt2-hf", "bpe-deepseek-coder", "bpe-deepseek-coder-hf", "tokenizer.json"})
    public String kind;

    @Param({"1000", "32000", "1000000"})
    public int chars;

    private Tokenizer tokenizer;
    private String text;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path shared = Path.of(System.getenv().getOrDefault("SPECDEC_SHARED", "../shared"));
        tokenizer = switch (kind) {
            case "spm" -> gguf(shared.resolve("models/vocab/ggml-vocab-llama-spm.gguf"));
            case "bpe-gpt2" -> gguf(shared.resolve("models/vocab/ggml-vocab-gpt-2.gguf"));
            case "bpe-deepseek-coder" -> gguf(shared.resolve("models/vocab/ggml-vocab-deepseek-coder.gguf"));
            case "bpe-gpt2-hf" -> hf(shared.resolve("models/vocab/ggml-vocab-gpt-2.gguf"));
            case "bpe-deepseek-coder-hf" -> hf(shared.resolve("models/vocab/ggml-vocab-deepseek-coder.gguf"));
            default -> HfTokenizer.load(shared.resolve("models/stories260K-hf/tokenizer.json"), 1, 2);
        };
        String source = Files.readString(shared.resolve("data/mtbench_question.jsonl"), StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(chars + source.length());
        while (b.length() < chars) {
            b.append(source);
        }
        text = b.substring(0, chars);
    }

    private static Tokenizer gguf(Path p) {
        try (GgufFile g = GgufFile.open(p)) {
            return GgufLoader.tokenizer(g);
        }
    }

    /** The GGUF vocabulary as an equivalent tokenizer.json on DJL's Rust tokenizers. */
    private static Tokenizer hf(Path p) {
        io.specdec.tokenizer.Gpt2BpeTokenizer j = (io.specdec.tokenizer.Gpt2BpeTokenizer) gguf(p);
        return HfTokenizer.fromJson(p, j.toTokenizerJson(), j.bosId(), j.eosId());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (tokenizer instanceof HfTokenizer h) {
            h.close();
        }
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, false);
    }
}
