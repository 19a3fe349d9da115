package io.specdec.bench.jmh;

import io.specdec.cli.suite.BenchPaths;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.PromptContext;
import io.specdec.verify.TreeVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * One drafting step of each head drafter next to the autoregressive step it must beat: the committed stories260K
 * heads ({@code models/stories260K-{medusa,hydra,eagle}.gguf}, inflated for a twin) proposing a 16-node tree (Medusa:
 * the first 16 choices of a top-4 x depth-4 tree; Hydra and EAGLE: dynamic, depth 4, top-3) after a 64-token prefix,
 * and {@link #verifyRootOnly} as the baseline. {@code -p model=twin25M} runs it on a cost twin.
 *
 * <pre>{@code
 * java -jar specdec-bench/target/benchmarks.jar HeadDraftingBenchmark
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HeadDraftingBenchmark {
    private static final int PREFIX = 64;
    private static final String CHOICES_16 = "0;1;2;3;0,0;0,1;1,0;0,2;0,0,0;0,0,1;0,1,0;1,0,0;0,0,0,0;0,0,0,1;0,0,1,0;"
            + "2,0";

    @Param({"stories260K"})
    public String model;

    private LlamaModel target;
    private TreeVerifier verifier;
    private int[] sequence;
    private DraftContext ctx;
    private final Map<String, DrafterSetup> setups = new LinkedHashMap<>();
    private final Map<String, Drafter> drafters = new LinkedHashMap<>();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        target = BenchModels.load(model);
        int v = target.config().vocabSize();
        sequence = new int[PREFIX];
        for (int i = 0; i < PREFIX; i++) {
            sequence[i] = 3 + (i * 37) % (v - 3);
        }
        verifier = new TreeVerifier(target, PREFIX + 128);
        verifier.prefill(java.util.Arrays.copyOf(sequence, PREFIX - 1), io.specdec.speculation.OutputRequest.LOGITS)
                .close();
        SamplingConfig g = SamplingConfig.GREEDY;
        ctx = new DraftContext(sequence, PREFIX, g, LogitsProcessors.of(g), new SplittableRandom(2), 16,
                LengthControllers.fixed(16));
        io.specdec.tokenizer.Tokenizer tok = ModelLoader.load(BenchPaths.shared().resolve("models")
                .resolve("stories260K.gguf")).tokenizer();
        DrafterEnvironment env = new DrafterEnvironment(target, tok, List.of(), BenchPaths.cache(), s -> {});
        boolean twin = !model.equals("stories260K");
        try (KvCache c = target.newCache(PREFIX);
                ForwardResult prompt = target.forward(c, java.util.Arrays.copyOf(sequence, PREFIX - 1),
                        ForwardOptions.DEFAULT.withLastHidden())) {
            PromptContext start = new PromptContext(sequence, prompt, target, PREFIX + 128, g);
            for (String kind : List.of("medusa", "hydra", "eagle")) {
                Path heads = BenchPaths.projectModels().resolve("stories260K-" + kind + ".gguf");
                if (!Files.isRegularFile(heads)) {
                    throw new IllegalStateException(heads + " not found: run from the repository root (or set"
                            + " SPECDEC_MODELS)");
                }
                Map<String, String> o = new LinkedHashMap<>();
                o.put("heads", heads.toString());
                o.put("tree-budget", "16");
                if (kind.equals("medusa")) {
                    o.put("choices", CHOICES_16);
                } else {
                    o.put("tree-depth", "4");
                    o.put("tree-topk", "3");
                }
                if (twin) {
                    o.put("inflate", "true");
                }
                DrafterSetup s = Drafters.create(kind, env, o);
                setups.put(kind, s);
                Drafter d = s.factory().create();
                d.begin(start);
                drafters.put(kind, d);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        drafters.values().forEach(Drafter::close);
        setups.values().forEach(DrafterSetup::close);
        verifier.close();
        target.close();
    }

    /** Baseline: one autoregressive step through the verifier (root only). */
    @Benchmark
    public float[] verifyRootOnly() {
        verifier.cache().truncate(PREFIX - 1);
        try (ForwardResult r = verifier.verify(new io.specdec.speculation.RoundLayout(sequence[PREFIX - 1],
                DraftTree.empty(), PREFIX - 1), io.specdec.speculation.OutputRequest.LOGITS)) {
            return r.logits();
        }
    }

    /** Medusa: every head in one call, 16 nodes of choices. */
    @Benchmark
    public DraftTree draftMedusa16() {
        return drafters.get("medusa").propose(ctx);
    }

    /** Hydra: dynamic tree, depth 4, top-3, 16 nodes kept. */
    @Benchmark
    public DraftTree draftHydra16() {
        return drafters.get("hydra").propose(ctx);
    }

    /** EAGLE-style: catch-up forward, then dynamic tree, depth 4, top-3, 16 nodes kept. */
    @Benchmark
    public DraftTree draftEagle16() {
        return drafters.get("eagle").propose(ctx);
    }
}
