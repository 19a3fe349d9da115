package io.specdec.bench.jmh;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.drafters.earlyexit.EarlyExitDrafter;
import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TreeTemplate;
import io.specdec.model.ForwardResult;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.LengthControllers;
import io.specdec.verify.TreeVerifier;
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
 * The pieces of a speculative round, each next to its baseline in the same class: verification of one token (the
 * autoregressive step — the baseline), of an 8-token chain and of the 80-node Token Recycling template (tree
 * attention); the KV commit of a 4-node tree path after a verification (versus verification alone); and one drafting
 * step of Token Recycling and prompt lookup (Java-only work), of the draft model (draft43K: a 4-token chain and a
 * 16-node tree) and of early exit (4 tokens from layer 1), each read against the baseline step. All after a 64-token
 * prefix. {@code -p model=twin25M} (or {@code twin150M}) runs it on a cost twin.
 *
 * <p>Short settings for a 2-core machine: 1 fork, 3 × 1 s warm-up, 5 × 1 s measurement, 1 PyTorch thread. Run:
 * <pre>{@code
 * java -jar specdec-bench/target/benchmarks.jar SpeculationBenchmark
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SpeculationBenchmark {
    private static final int PREFIX = 64;

    @Param({"stories260K"})
    public String model;

    private LlamaModel target;
    private TreeVerifier verifier;
    private DraftTree chain8;
    private DraftTree recyclingTree;
    private DraftTree path4;
    private int[] sequence;
    private Drafter recycling;
    private Drafter lookup;
    private DraftContext ctx;
    private LlamaModel draft;
    private Drafter draftChain;
    private Drafter draftTree;
    private Drafter earlyExit;
    private DraftContext ctx4;
    private DraftContext ctx16;

    @Setup(Level.Trial)
    public void setUp() {
        target = BenchModels.load(model);
        int v = target.config().vocabSize();
        verifier = new TreeVerifier(target, PREFIX + 128);
        sequence = new int[PREFIX];
        for (int i = 0; i < PREFIX; i++) {
            sequence[i] = 3 + (i * 37) % (v - 3);
        }
        verifier.prefill(java.util.Arrays.copyOf(sequence, PREFIX - 1), io.specdec.speculation.OutputRequest.LOGITS).close();
        int[] toks = new int[8];
        for (int i = 0; i < 8; i++) {
            toks[i] = 3 + (i * 11) % (v - 3);
        }
        chain8 = DraftTree.chain(toks, new float[8][]);
        path4 = new DraftTree(new int[] {5, 6, 7, 8, 9}, new int[] {-1, -1, 1, 2, 3}, new float[5][]);
        // a warm matrix: every row filled with pseudo-random candidates
        AdjacencyMatrix m = new AdjacencyMatrix(v, 8);
        SplittableRandom r = new SplittableRandom(1);
        float[] row = new float[v];
        for (int t = 0; t < v; t++) {
            for (int i = 0; i < v; i++) {
                row[i] = (float) r.nextDouble();
            }
            m.update(t, row, 0);
        }
        recycling = TokenRecyclingDrafter.builder().setMatrix(m).optTemplate(TreeTemplate.paper()).build().create();
        lookup = PromptLookupDrafter.builder().setVocabSize(v).build().create();
        SamplingConfig g = SamplingConfig.GREEDY;
        ctx = new DraftContext(sequence, PREFIX, g, LogitsProcessors.of(g), new SplittableRandom(2), 80,
                LengthControllers.fixed(80));
        recyclingTree = recycling.propose(ctx);
        draft = BenchModels.load("draft43K");
        io.specdec.speculation.PromptContext start = new io.specdec.speculation.PromptContext(sequence, null, target,
                PREFIX + 128, g);
        draftChain = DraftModelDrafter.builder().setModel(draft).build().create();
        draftChain.begin(start);
        draftTree = DraftModelDrafter.builder().setModel(draft).optMode(DraftModelDrafter.Mode.TREE).optTopK(3).build()
                .create();
        draftTree.begin(start);
        earlyExit = EarlyExitDrafter.builder().setTarget(target).optExitLayer(1).optConfidence(0f).build().create();
        earlyExit.begin(start);
        ctx4 = new DraftContext(sequence, PREFIX, g, LogitsProcessors.of(g), new SplittableRandom(3), 4,
                LengthControllers.fixed(4));
        ctx16 = new DraftContext(sequence, PREFIX, g, LogitsProcessors.of(g), new SplittableRandom(4), 16,
                LengthControllers.fixed(16));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        draftChain.close();
        draftTree.close();
        earlyExit.close();
        draft.close();
        verifier.close();
        target.close();
    }

    private float[] verify(DraftTree t) {
        verifier.cache().truncate(PREFIX - 1);
        try (ForwardResult r = verifier.verify(new io.specdec.speculation.RoundLayout(sequence[PREFIX - 1], t,
                PREFIX - 1), io.specdec.speculation.OutputRequest.LOGITS)) {
            return r.logits();
        }
    }

    /** Baseline: one autoregressive step through the verifier (root only). */
    @Benchmark
    public float[] verifyRootOnly() {
        return verify(DraftTree.empty());
    }

    /** An 8-token chain (causal mask). */
    @Benchmark
    public float[] verifyChain8() {
        return verify(chain8);
    }

    /** The 80-node Token Recycling template (tree attention). */
    @Benchmark
    public float[] verifyRecyclingTemplate80() {
        return verify(recyclingTree);
    }

    /** Verification of a 5-node tree alone: the baseline for {@link #verifyAndCommitTreePath}. */
    @Benchmark
    public float[] verifyTree5() {
        return verify(path4);
    }

    /** The same plus the KV commit of a 4-node path that needs a gather (nodes 1, 2, 3, 4). */
    @Benchmark
    public int verifyAndCommitTreePath() {
        verify(path4);
        verifier.commit(new int[] {1, 2, 3, 4});
        return verifier.length();
    }

    /** One Token Recycling proposal (80-node template from a warm matrix). */
    @Benchmark
    public DraftTree draftRecycling() {
        return recycling.propose(ctx);
    }

    /** One prompt-lookup proposal over a 64-token sequence. */
    @Benchmark
    public DraftTree draftPromptLookup() {
        return lookup.propose(ctx);
    }

    /** One draft-model chain proposal of 4 tokens with draft43K (re-feeds the last token, then 3 more steps). */
    @Benchmark
    public DraftTree draftModelChain4() {
        return draftChain.propose(ctx4);
    }

    /** One draft-model tree proposal of 16 nodes, top-3 children per level (EAGLE-2-style expansion). */
    @Benchmark
    public DraftTree draftModelTree16() {
        return draftTree.propose(ctx16);
    }

    /** One early-exit (DEL-style) proposal of 4 tokens from layer 1 of the target, with its own KV cache. */
    @Benchmark
    public DraftTree draftEarlyExit4() {
        return earlyExit.propose(ctx4);
    }
}
