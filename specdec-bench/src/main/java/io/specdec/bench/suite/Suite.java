package io.specdec.bench.suite;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.drafters.earlyexit.EarlyExitDrafter;
import io.specdec.drafters.hybrid.HybridDrafter;
import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TreeTemplate;
import io.specdec.drafters.sizing.DraftSizing;
import io.specdec.drafters.sizing.RankStats;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.Inflation;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.CostCurve;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.spec.SpeculativeDecoder;
import io.specdec.spec.TreeSizing;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The benchmark suite ({@code specdec bench --suite quick|full}): every target (stories260K and its two cost twins)
 * × every drafter × workload (story, copy) × decoding (greedy, T = 0.7), each configuration measured against AR
 * interleaved in one JVM ({@link Interleaved}). Chains and trees are sized per target from the measured cost curve
 * and measured per-rank acceptance ({@link TreeSizing}, {@link RankStats}) on calibration prompts disjoint from
 * the measured ones.
 * The result goes to {@link SuiteReport}. Not thread-safe; runs once.
 */
public final class Suite {
    /** Targets, in order. */
    public static final List<String> TARGETS = List.of("stories260K", "twin-25M", "twin-150M");
    /** Workloads. */
    public static final List<String> WORKLOADS = List.of("story", "copy");
    /** Decodings. */
    public static final List<String> DECODINGS = List.of("greedy", "T=0.7");

    /**
     * What to run.
     *
     * @param preset "quick" or "full" (names the defaults used)
     * @param targets subset of {@link #TARGETS}
     * @param workloads subset of {@link #WORKLOADS}
     * @param decodings subset of {@link #DECODINGS}
     * @param prompts measured prompts per workload (the copy workload has at most as many as stories in the sample)
     * @param maxTokens new tokens per generation
     * @param calibration calibration / warm-up prompts per target (taken from the end of the story prompt file)
     * @param shared the shared folder (models and data)
     * @param cacheDir where twins and cost curves are cached
     */
    public record Options(String preset, List<String> targets, List<String> workloads, List<String> decodings,
            int prompts, int maxTokens, int calibration, Path shared, Path cacheDir) {
        /**
         * Defaults of a preset: quick (2 prompts, 48 tokens, 1 calibration prompt; ~6 min on 2 cores) or full
         * (8 prompts, 128 tokens, 3 calibration prompts; ~45 min). */
        public static Options preset(String name, Path shared, Path cacheDir) {
            return switch (name) {
                case "quick" -> new Options(name, TARGETS, WORKLOADS, DECODINGS, 2, 48, 1, shared, cacheDir);
                case "full" -> new Options(name, TARGETS, WORKLOADS, DECODINGS, 8, 128, 3, shared, cacheDir);
                default -> throw new IllegalArgumentException("--suite must be quick or full; found '" + name + "'");
            };
        }
    }

    /** One measured cell: a configuration on a target, workload and decoding. */
    public record Cell(String target, String workload, String decoding, String config, Summary summary,
            List<PromptRun> runs) {}

    /**
     * What the suite learned about a target.
     *
     * @param name target name
     * @param parameters parameter count
     * @param arMsPerToken AR time per generated token, prefill included (median over the prompts of the first
     *     workload and decoding run: story, greedy by default)
     * @param curve the target's cost curve
     * @param draftCurve the draft model's cost curve
     * @param check the twin check (null for the original model)
     * @param draftRanks per-rank acceptance of the draft model
     * @param recyclingRanks per-rank acceptance of the warm recycling matrix
     * @param plans the sized chain/trees, by configuration
     * @param shapes configuration → shape description
     * @param memory configuration → extra bytes the drafter holds
     */
    public record TargetInfo(String name, long parameters, double arMsPerToken, CostCurve curve, CostCurve draftCurve,
            Twins.Check check, RankStats draftRanks, RankStats recyclingRanks, Map<String, TreeSizing.Plan> plans,
            Map<String, String> shapes, Map<String, Long> memory) {}

    private record Config(Supplier<DrafterFactory> factory, Supplier<CandidateLengthController> controller,
            int maxDraft, String shape, long memoryBytes) {}

    private final Options opt;
    private final PrintStream log;
    private final List<Cell> cells = new ArrayList<>();
    private final List<TargetInfo> infos = new ArrayList<>();

    public Suite(Options opt, PrintStream log) {
        this.opt = opt;
        this.log = log;
    }

    /** Measured cells, in run order. */
    public List<Cell> cells() {
        return cells;
    }

    /** Per-target information, in run order. */
    public List<TargetInfo> targets() {
        return infos;
    }

    /** The options run. */
    public Options options() {
        return opt;
    }

    /** Runs everything; returns this. */
    public Suite run() throws IOException {
        Path models = opt.shared().resolve("models");
        Path original = models.resolve("stories260K.gguf");
        Path draftPath = models.resolve("draft43K.gguf");
        for (Path p : List.of(original, draftPath, opt.shared().resolve("data/story_prompts.txt"))) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(p + " not found: set SPECDEC_SHARED to the shared/ folder");
            }
        }
        List<String> stories = new ArrayList<>();
        for (String line : Files.readAllLines(opt.shared().resolve("data/story_prompts.txt"), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                stories.add(line.strip());
            }
        }
        if (stories.size() < opt.prompts() + opt.calibration()) {
            throw new IllegalArgumentException("story_prompts.txt has " + stories.size() + " prompts; need "
                    + (opt.prompts() + opt.calibration()));
        }
        List<String> calibration = stories.subList(stories.size() - opt.calibration(), stories.size());
        Map<String, List<String>> workloads = new LinkedHashMap<>();
        workloads.put("story", stories.subList(0, opt.prompts()));
        List<String> copy = CopyWorkload.of(opt.shared().resolve("data/tinystories_sample.txt"));
        workloads.put("copy", copy.subList(0, Math.min(opt.prompts(), copy.size())));
        for (String target : opt.targets()) {
            Path path = switch (target) {
                case "stories260K" -> original;
                case "twin-25M" -> Twins.ensure(original, "25M", Inflation.TWIN_25M, opt.cacheDir(), log);
                case "twin-150M" -> Twins.ensure(original, "150M", Inflation.TWIN_150M, opt.cacheDir(), log);
                default -> throw new IllegalArgumentException("unknown target " + target + " (" + TARGETS + ")");
            };
            runTarget(target, path, original, draftPath, calibration, workloads);
        }
        return this;
    }

    private void runTarget(String name, Path path, Path original, Path draftPath, List<String> calibration,
            Map<String, List<String>> workloads) throws IOException {
        log.printf("== %s (%s)%n", name, path);
        LoadedModel lm = ModelLoader.load(path);
        LoadedModel dl = ModelLoader.load(draftPath);
        int ctx = Math.max(dl.config().contextLength(), lm.config().contextLength());
        try (LlamaModel target = new LlamaModel(lm.weights());
                LlamaModel draft = new LlamaModel(dl.weights().withContextLength(ctx))) {
            DraftModelDrafter.checkCompatible(lm.tokenizer(), dl.tokenizer(), target, draft);
            Twins.Check check = null;
            if (!path.equals(original)) {
                check = Twins.check(ModelLoader.load(original), lm, target, calibration.get(0), 32);
                log.printf("twin check: max |Δlogit| %.2e, greedy identical over %d tokens: %s%n",
                        check.maxLogitDiff(), check.tokens(), check.greedyIdentical());
            }
            int vocab = lm.config().vocabSize();
            AdjacencyMatrix matrix = new AdjacencyMatrix(vocab, 8);

            // calibration: the target's greedy continuations; the paper-template recycling drafter warms the matrix
            GenerationConfig greedyCfg = config(SamplingConfig.GREEDY);
            AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(target)
                    .setTokenizer(lm.tokenizer()).optConfig(greedyCfg).build();
            RankStats.Recorder trRecorder = new RankStats.Recorder(matrix.k());
            SpeculativeDecoder paper = Speculation.decoder(target, lm.tokenizer(),
                    trRecorder.wrap(TokenRecyclingDrafter.factory(matrix, TreeTemplate.paper())), greedyCfg)
                    .optController(LengthControllers.fixed(TreeTemplate.paper().size())).optMaxDraft(128).build();
            List<int[]> seqs = new ArrayList<>();
            List<Integer> promptLens = new ArrayList<>();
            double trDraftMicrosPerNode = 0;
            for (String p : calibration) {
                GenerationResult r = ar.generate(p);
                seqs.add(r.allIds());
                promptLens.add(r.promptIds().length);
                GenerationResult t = paper.generate(p);
                trDraftMicrosPerNode = t.speculation().draftSeconds() * 1e6 / Math.max(1, t.speculation().drafted());
            }
            RankStats trRanks = trRecorder.stats();
            log.println("cost curves (measured after the calibration runs; cached per model shape and machine)");
            DraftSizing.Result sizing = DraftSizing.of(target, draft, seqs, promptLens, opt.cacheDir());
            CostCurve curve = sizing.targetCurve();
            CostCurve draftCurve = sizing.draftCurve();
            RankStats draftRanks = sizing.ranks();
            log.println("draft model " + draftRanks);
            log.println("recycling   " + trRanks);

            Map<String, TreeSizing.Plan> plans = new LinkedHashMap<>();
            TreeSizing.Plan chain = sizing.chain();
            TreeSizing.Plan tree = sizing.tree();
            TreeSizing.Plan trPlan = TreeSizing.optimal(trRanks.probabilities(), curve, 0, trDraftMicrosPerNode, 96,
                    8);
            plans.put("draft chain", chain);
            plans.put("draft tree", tree);
            plans.put("recycling", trPlan);
            plans.forEach((k, v) -> log.printf("sized %-12s %s%n", k, v));

            int chainK = Math.max(1, chain.size());
            int treeN = Math.max(2, tree.size());
            int topK = sizing.treeTopK();
            TreeTemplate sized = trPlan.size() == 0 ? TreeTemplate.full(1, 1) : TreeTemplate.of(trPlan.paths());
            Map<String, Config> configs = new LinkedHashMap<>();
            LlamaConfig dc = draft.config();
            LlamaConfig tc = target.config();
            long draftBytes = 4L * dc.parameterCount() + KvCache.bytes(dc, Math.min(dc.contextLength(), 4096));
            configs.put("draft chain", new Config(() -> DraftModelDrafter.factory(draft,
                    DraftModelDrafter.Mode.CHAIN, 1), () -> LengthControllers.fixed(chainK), chainK,
                    chain.size() == 0 ? "K=1 (sizing predicts no chain beats AR; run to show it)"
                            : "K=" + chainK + " (sized)", draftBytes));
            configs.put("draft chain goodput", new Config(() -> DraftModelDrafter.factory(draft,
                    DraftModelDrafter.Mode.CHAIN, 1), () -> LengthControllers.goodput(16), 16,
                    "K online (goodput controller, ≤ 16), not sized", draftBytes));
            configs.put("draft tree", new Config(() -> DraftModelDrafter.factory(draft, DraftModelDrafter.Mode.TREE,
                    topK), () -> LengthControllers.fixed(treeN), treeN,
                    tree.size() == 0 ? "2 nodes, top-2 (sizing predicts no tree beats AR)"
                            : treeN + " nodes, top-" + topK + " (sized)", draftBytes));
            configs.put("recycling", new Config(() -> TokenRecyclingDrafter.factory(matrix, sized),
                    () -> LengthControllers.fixed(sized.size()), sized.size(),
                    trPlan.size() == 0 ? "1 node (sizing predicts no tree beats AR)"
                            : "template " + sized.size() + " nodes, depth " + trPlan.maxDepth() + " (sized)",
                    matrix.bytes()));
            TreeTemplate paperTemplate = TreeTemplate.paper();
            configs.put("recycling paper", new Config(() -> TokenRecyclingDrafter.factory(matrix, paperTemplate),
                    () -> LengthControllers.fixed(paperTemplate.size()), paperTemplate.size(),
                    "80-node template of the paper", matrix.bytes()));
            configs.put("prompt lookup", new Config(() -> PromptLookupDrafter.factory(vocab),
                    () -> LengthControllers.fixed(10), 10, "n-gram 3..1, 10 tokens", 0));
            int hybridBudget = sized.size() + 10;
            configs.put("hybrid", new Config(() -> HybridDrafter.factory(List.of(PromptLookupDrafter.factory(vocab),
                    TokenRecyclingDrafter.factory(matrix, sized))), () -> LengthControllers.fixed(hybridBudget),
                    hybridBudget, "lookup + sized recycling, " + hybridBudget + " nodes", matrix.bytes()));
            DrafterFactory del = EarlyExitDrafter.factory(target, 0, 0.3f);
            configs.put("DEL", new Config(() -> del, () -> LengthControllers.fixed(4), 4,
                    "dynamic exit layer, ≤ 4 tokens", KvCache.bytes(tc, Math.min(tc.contextLength(), 4096))));
            Map<String, String> shapes = new LinkedHashMap<>();
            Map<String, Long> memory = new LinkedHashMap<>();
            configs.forEach((k, c) -> {
                shapes.put(k, c.shape());
                memory.put(k, c.memoryBytes());
            });

            boolean warmed = false;
            List<Double> arMs = new ArrayList<>();
            for (String workload : opt.workloads()) {
                for (String decoding : opt.decodings()) {
                    SamplingConfig s = decoding.equals("greedy") ? SamplingConfig.GREEDY
                            : SamplingConfig.builder().optTemperature(0.7f).optSeed(42).build();
                    GenerationConfig cfg = config(s);
                    AutoregressiveGenerator base = AutoregressiveGenerator.builder().setModel(target)
                            .setTokenizer(lm.tokenizer()).optConfig(cfg).build();
                    Map<String, SpeculativeDecoder> decoders = new LinkedHashMap<>();
                    configs.forEach((k, c) -> decoders.put(k, Speculation.decoder(target, lm.tokenizer(),
                            c.factory().get(), cfg).optController(c.controller().get())
                            .optMaxDraft(Math.max(16, c.maxDraft())).build()));
                    if (!warmed) {
                        log.println("warm-up: 1 calibration prompt through every configuration");
                        decoders.values().forEach(d -> d.generate(calibration.get(0)));
                        warmed = true;
                    }
                    List<String> prompts = workloads.get(workload);
                    long t0 = System.nanoTime();
                    Map<String, List<PromptRun>> runs = Interleaved.measure(base, decoders, prompts,
                            i -> log.printf("\r%s %s %s: prompt %d/%d", name, workload, decoding, i, prompts.size()));
                    log.printf(" (%.0f s)%n", (System.nanoTime() - t0) / 1e9);
                    for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
                        Summary sum = Summary.of(e.getValue(), curve);
                        cells.add(new Cell(name, workload, decoding, e.getKey(), sum, e.getValue()));
                        if (arMs.isEmpty()) { // the first workload and decoding run (story, greedy by default)
                            e.getValue().forEach(r -> arMs.add(1e3 * r.arSeconds() / r.arTokens()));
                        }
                    }
                }
            }
            double arMedian = arMs.isEmpty() ? Double.NaN : arMs.stream().sorted().toList().get(arMs.size() / 2);
            infos.add(new TargetInfo(name, tc.parameterCount(), arMedian, curve, draftCurve, check, draftRanks,
                    trRanks, plans, shapes, memory));
        }
    }

    private GenerationConfig config(SamplingConfig s) {
        return GenerationConfig.builder().optMaxNewTokens(opt.maxTokens()).optStopAtEos(false).optSampling(s).build();
    }
}
