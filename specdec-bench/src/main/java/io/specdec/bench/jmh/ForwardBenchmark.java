package io.specdec.bench.jmh;

import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
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
 * Target forward cost c(T): one forward of T new tokens after a 64-token prefix, returning all T logit rows (what
 * a verifier needs). T = 1 is the baseline every other T is read against (c(T)/c(1)), measured in the same run.
 *
 * <p>Models: the real stories260K and its two cost twins (built into {@code SPECDEC_CACHE} on first use);
 * {@code -p model=random25M} needs no files.
 *
 * <p>Settings are short for a 2-core machine: 1 fork, 3 × 1 s warm-up, 5 × 1 s measurement, 1 PyTorch thread
 * ({@code SPECDEC_THREADS} to change). Run:
 * <pre>{@code
 * java -jar specdec-bench/target/benchmarks.jar ForwardBenchmark
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ForwardBenchmark {
    private static final int PREFIX = 64;

    @Param({"stories260K", "twin25M", "twin150M"})
    public String model;

    @Param({"1", "2", "4", "8", "16", "32", "64"})
    public int tokens;

    /** {@code torch} (every op through PyTorch) or {@code vector} (host kernels; see {@code Kernels}). */
    @Param({"torch", "vector"})
    public String kernel;

    private LlamaModel lm;
    private KvCache cache;
    private int[] batch;

    @Setup(Level.Trial)
    public void setUp() {
        lm = BenchModels.load(model, kernel);
        cache = lm.newCache(PREFIX + 64);
        int[] prefix = new int[PREFIX];
        for (int i = 0; i < PREFIX; i++) {
            prefix[i] = 3 + (i * 37) % 200;
        }
        lm.forward(cache, prefix, ForwardOptions.LAST_ROW);
        batch = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            batch[i] = 3 + (i * 53) % 200;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        lm.close();
    }

    /** One forward of {@code tokens} tokens (causal mask), all rows of logits copied to the host. */
    @Benchmark
    public ForwardResult forward() {
        cache.truncate(PREFIX);
        return lm.forward(cache, batch, ForwardOptions.DEFAULT);
    }
}
