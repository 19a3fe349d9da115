package io.specdec.cli.suite;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.speculation.ControllerContext;
import io.specdec.speculation.Controllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tensor.GgmlType;
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
 * × every registered drafter ({@link Drafters}; each provider's suite presets) × workload (story, copy) × decoding
 * (greedy, T = 0.7), each configuration measured against AR interleaved in one JVM ({@link Interleaved}). Drafters
 * that size themselves ({@code auto} options) do so per target from the measured cost curve and calibration prompts
 * disjoint from the measured ones; the suite supplies the shared draft checkpoint to drafters that need one.
 * The result goes to {@link SuiteReport}. Not thread-safe; runs once.
 */
public final class Suite {
    /** Targets the presets run, in order. */
    public static final List<String> TARGETS = List.of("stories260K", "twin-25M", "twin-150M");
    /**
     * Every target, in order: the presets' and the real-shape twins (BENCHMARKING.md, issue 22), which are asked for
     * by name ({@code --targets}): the 1B twin (Llama-3.2-1B's per-token cost) and the deep narrow twin (30 layers),
     * each with Q4_0 and Q8_0 matrices, written on demand into the cache.
     */
    public static final List<String> ALL_TARGETS = List.of("stories260K", "twin-25M", "twin-150M", "twin-1B-q4_0",
            "twin-1B-q8_0", "twin-deep-q4_0", "twin-deep-q8_0");
    /** Workloads. */
    public static final List<String> WORKLOADS = List.of("story", "copy");
    /** Decodings. */
    public static final List<String> DECODINGS = List.of("greedy", "T=0.7");
    /**
     * The presets' lossy modes: typical acceptance and LANTERN (sampled decodings) at three knob settings each, R2R
     * with the committed router (greedy) at three thresholds. Judge Decoding is not among them: its head reads the
     * target's hidden states, so it is trained per target ({@code train-judge}), which the suite does not do.
     */
    public static final List<String> LOSSY_MODES = List.of("typical:0.05", "typical:0.09", "typical:0.2",
            "lantern:0.05", "lantern:0.15", "lantern:0.3", "r2r:0.3", "r2r:0.5", "r2r:0.7");
    /** The router the r2r modes use, in the project's models folder (recipe in docs/SEED_SYSTEMS.md). */
    public static final String ROUTER = "stories260K-draft2L-router.json";

    /**
     * What to run.
     *
     * @param preset "quick" or "full" (names the defaults used)
     * @param targets subset of {@link #ALL_TARGETS}
     * @param workloads subset of {@link #WORKLOADS}
     * @param decodings subset of {@link #DECODINGS}
     * @param prompts measured prompts per workload (the copy workload has at most as many as stories in the sample)
     * @param maxTokens new tokens per generation
     * @param calibration calibration / warm-up prompts per target (taken from the end of the story prompt file)
     * @param shared the shared folder (models and data)
     * @param cacheDir where twins and cost curves are cached
     * @param drafters registered drafters to run (empty = every registered one)
     * @param lossyModes the lossy acceptance modes of the speed × quality section ({@link QualityHarness} modes;
     *     each runs under the decodings it applies to; empty = no section)
     */
    public record Options(String preset, List<String> targets, List<String> workloads, List<String> decodings,
            int prompts, int maxTokens, int calibration, Path shared, Path cacheDir, List<String> drafters,
            List<String> lossyModes) {
        public Options {
            drafters = List.copyOf(drafters);
            lossyModes = List.copyOf(lossyModes);
        }

        /** Without the lossy section. */
        public Options(String preset, List<String> targets, List<String> workloads, List<String> decodings,
                int prompts, int maxTokens, int calibration, Path shared, Path cacheDir, List<String> drafters) {
            this(preset, targets, workloads, decodings, prompts, maxTokens, calibration, shared, cacheDir, drafters,
                    List.of());
        }

        /**
         * Defaults of a preset: quick (2 prompts, 48 tokens, 1 calibration prompt; ~6 min on 2 cores) or full
         * (8 prompts, 128 tokens, 3 calibration prompts; ~45 min). */
        public static Options preset(String name, Path shared, Path cacheDir) {
            return switch (name) {
                case "quick" -> new Options(name, TARGETS, WORKLOADS, DECODINGS, 2, 48, 1, shared, cacheDir, List.of(),
                        LOSSY_MODES);
                case "full" -> new Options(name, TARGETS, WORKLOADS, DECODINGS, 8, 128, 3, shared, cacheDir,
                        List.of(), LOSSY_MODES);
                default -> throw new IllegalArgumentException("--suite must be quick or full; found '" + name + "'");
            };
        }
    }

    /**
     * The speed × quality of the lossy modes on a target under one decoding (story workload, the draft model's
     * chain of {@link #LOSSY_K}; {@link QualityHarness}).
     *
     * @param rows plain decoding, lossless speculation, then each mode that applies to the decoding
     */
    public record LossyCell(String target, String decoding, Map<String, QualityHarness.Metrics> rows) {}

    /** The chain length of the lossy section (the harness's default). */
    public static final int LOSSY_K = 4;

    /** One measured cell: a configuration on a target, workload and decoding. */
    public record Cell(String target, String workload, String decoding, String config, Summary summary,
            List<PromptRun> runs) {}

    /**
     * One configuration as run on a target.
     *
     * @param drafter the registered drafter
     * @param shape what its provider built (sizes, templates)
     * @param memoryBytes extra memory it holds
     * @param notes its provider's notes (sizing plans, learned statistics)
     */
    public record ConfigInfo(String drafter, String shape, long memoryBytes, Map<String, String> notes) {}

    /**
     * What the suite learned about a target.
     *
     * @param name target name
     * @param parameters parameter count
     * @param arMsPerToken AR time per generated token, prefill included (median over the prompts of the first
     *     workload and decoding run: story, greedy by default)
     * @param curve the target's cost curve
     * @param check the twin check (null for the original model)
     * @param configs configuration label → what was run
     */
    public record TargetInfo(String name, long parameters, double arMsPerToken, CostCurve curve, Twins.Check check,
            Map<String, ConfigInfo> configs) {}

    private record Config(DrafterSetup setup, Supplier<CandidateLengthController> controller) {}

    private final Options opt;
    private final PrintStream log;
    private final List<Cell> cells = new ArrayList<>();
    private final List<TargetInfo> infos = new ArrayList<>();
    private final List<LossyCell> lossy = new ArrayList<>();
    private final List<String> lossyNotes = new ArrayList<>();

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

    /** The lossy section's cells, in run order. */
    public List<LossyCell> lossyCells() {
        return lossy;
    }

    /** What the lossy section left out and why. */
    public List<String> lossyNotes() {
        return lossyNotes;
    }

    /** The options run. */
    public Options options() {
        return opt;
    }

    /** Runs everything; returns this. */
    public Suite run() throws IOException {
        Path models = opt.shared().resolve("models");
        Path original = models.resolve("stories260K.gguf");
        // the project's distilled draft when the repository's models are at hand, else the shared stand-in
        Path distilled = BenchPaths.projectModels().resolve("stories260K-draft2L.gguf");
        Path draftPath = Files.isRegularFile(distilled) ? distilled : models.resolve("draft43K.gguf");
        log.println("draft model: " + draftPath);
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
                case "twin-1B-q4_0" -> Twins.ensure(original, "1B", Inflation.TWIN_1B, GgmlType.Q4_0, opt.cacheDir(),
                        log);
                case "twin-1B-q8_0" -> Twins.ensure(original, "1B", Inflation.TWIN_1B, GgmlType.Q8_0, opt.cacheDir(),
                        log);
                case "twin-deep-q4_0" -> Twins.ensure(original, "deep", Inflation.TWIN_DEEP, GgmlType.Q4_0,
                        opt.cacheDir(), log);
                case "twin-deep-q8_0" -> Twins.ensure(original, "deep", Inflation.TWIN_DEEP, GgmlType.Q8_0,
                        opt.cacheDir(), log);
                default -> throw new IllegalArgumentException("unknown target " + target + " (" + ALL_TARGETS + ")");
            };
            runTarget(target, path, original, draftPath, calibration, workloads);
        }
        return this;
    }

    private void runTarget(String name, Path path, Path original, Path draftPath, List<String> calibration,
            Map<String, List<String>> workloads) throws IOException {
        log.printf("== %s (%s)%n", name, path.getFileName());
        LoadedModel lm = ModelLoader.load(path);
        List<DrafterSetup> setups = new ArrayList<>();
        try (LlamaModel target = lm.newModel()) {
            Twins.Check check = null;
            if (!path.equals(original)) {
                check = Twins.check(ModelLoader.load(original), lm, target, calibration.get(0), 32);
                log.printf("twin check: max |Δlogit| %.2e, greedy identical over %d tokens: %s%n",
                        check.maxLogitDiff(), check.tokens(), check.greedyIdentical());
            }
            CostCurve curve = CostCurve.cached(target, opt.cacheDir(), 5);
            // every registered drafter (or those asked for), each preset it offers; the suite supplies the shared
            // draft checkpoint to drafters that need a draft model
            Map<String, String> resources = new LinkedHashMap<>();
            resources.put("draft-model", draftPath.toString());
            for (io.specdec.drafters.heads.HeadArchitecture a : io.specdec.drafters.heads.HeadArchitectures.all()) {
                String kind = a.id();
                Path heads = BenchPaths.projectModels().resolve("stories260K-" + kind + ".gguf");
                if (Files.isRegularFile(heads)) {
                    resources.put(kind + ":heads", heads.toString());
                }
            }
            boolean twin = !path.equals(original);
            DrafterEnvironment env = new DrafterEnvironment(target, lm.tokenizer(), calibration, opt.cacheDir(),
                    log::println);
            Map<String, Config> configs = new LinkedHashMap<>();
            Map<String, ConfigInfo> infos0 = new LinkedHashMap<>();
            for (DrafterProvider p : Drafters.providers()) {
                if (!opt.drafters().isEmpty() && !opt.drafters().contains(p.name())) {
                    continue;
                }
                java.util.function.Function<String, String> resource = o -> resources.getOrDefault(p.name() + ":" + o,
                        resources.get(o));
                List<String> missing = p.options().stream().filter(o -> o.required()
                        && resource.apply(o.name()) == null).map(o -> "--" + o.name()).toList();
                if (!missing.isEmpty()) {
                    log.println("skipping drafter " + p.name() + ": the suite has no value for " + missing);
                    continue;
                }
                for (Map.Entry<String, Map<String, String>> preset : p.suitePresets().entrySet()) {
                    Map<String, String> values = new LinkedHashMap<>(preset.getValue());
                    String controller = values.remove("controller");
                    p.options().stream().filter(o -> o.required()).forEach(o -> values.put(o.name(),
                            resource.apply(o.name())));
                    if (twin && p.options().stream().anyMatch(o -> o.name().equals("inflate"))) {
                        values.put("inflate", "true"); // heads trained on stories260K, inflated like the twin
                    }
                    // a preset's controller takes its required files from beside the drafter's (acceptance heads)
                    Map<String, String> ctlOptions = new LinkedHashMap<>();
                    if (controller != null) {
                        String file = values.getOrDefault("draft-model", values.get("heads"));
                        List<String> lacking = new ArrayList<>();
                        for (io.specdec.speculation.DrafterOption o : Controllers.named(controller).options()) {
                            Path f = o.required() && o.name().equals("acceptance-head") ? acceptanceHeadBeside(file)
                                    : null;
                            if (f != null) {
                                ctlOptions.put(o.name(), f.toString());
                            } else if (o.required()) {
                                lacking.add("--" + o.name());
                            }
                        }
                        if (!lacking.isEmpty()) {
                            log.println("skipping " + preset.getKey() + ": the suite has no value for " + lacking);
                            continue;
                        }
                    }
                    DrafterSetup s;
                    try {
                        s = p.create(env, new DrafterParams(p.name(), p.options(), values));
                    } catch (IllegalArgumentException e) {
                        // e.g. heads of a family that cannot be inflated for a twin: said, and the rest runs
                        log.println("skipping " + preset.getKey() + ": " + e.getMessage());
                        continue;
                    }
                    setups.add(s);
                    Supplier<CandidateLengthController> ctrl;
                    try {
                        ctrl = controller == null ? s.controller() : Controllers.create(controller, ctlOptions,
                                new ControllerContext(s, target, opt.cacheDir()));
                    } catch (IllegalArgumentException e) {
                        log.println("skipping " + preset.getKey() + ": " + e.getMessage());
                        continue;
                    }
                    configs.put(preset.getKey(), new Config(s, ctrl));
                    log.printf("%-20s %s, %s%n", preset.getKey(), s.shape(), ctrl.get().name());
                }
            }
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
                            c.setup().factory(), cfg).optControllerFactory(c.controller())
                            .optMaxDraft(Math.max(16, c.setup().budget())).build()));
                    if (!warmed) {
                        log.println("warm-up: 1 calibration prompt through every configuration");
                        decoders.values().forEach(d -> d.generate(calibration.get(0)));
                        warmed = true;
                    }
                    List<String> prompts = workloads.get(workload);
                    long t0 = System.nanoTime();
                    Map<String, List<PromptRun>> runs;
                    try (io.specdec.cli.progress.Progress bar = io.specdec.cli.progress.Progress.start(log,
                            name + " " + workload + " " + decoding, prompts.size(), "prompts")) {
                        runs = Interleaved.measure(base, decoders, prompts, bar::stepTo);
                    }
                    log.printf("%s %s %s: %.0f s%n", name, workload, decoding, (System.nanoTime() - t0) / 1e9);
                    for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
                        Summary sum = Summary.of(e.getValue(), curve);
                        cells.add(new Cell(name, workload, decoding, e.getKey(), sum, e.getValue()));
                        if (arMs.isEmpty()) { // the first workload and decoding run (story, greedy by default)
                            e.getValue().forEach(r -> arMs.add(1e3 * r.arSeconds() / r.arTokens()));
                        }
                    }
                }
            }
            if (!opt.lossyModes().isEmpty() && workloads.containsKey("story") && opt.workloads().contains("story")) {
                runLossy(name, target, lm, draftPath, workloads.get("story"));
            }
            double arMedian = arMs.isEmpty() ? Double.NaN : arMs.stream().sorted().toList().get(arMs.size() / 2);
            configs.forEach((k, c) -> infos0.put(k, new ConfigInfo(c.setup().name(), c.setup().shape(),
                    c.setup().memoryBytes(), c.setup().notes().get())));
            infos.add(new TargetInfo(name, target.config().parameterCount(), arMedian, curve, check, infos0));
        } finally {
            setups.forEach(DrafterSetup::close);
        }
    }

    /** The speed × quality section on one target: every lossy mode under each decoding it applies to. */
    private void runLossy(String name, LlamaModel target, LoadedModel lm, Path draftPath, List<String> prompts)
            throws IOException {
        Path routerFile = BenchPaths.projectModels().resolve(ROUTER);
        boolean distilled = draftPath.getFileName().toString().equals("stories260K-draft2L.gguf");
        io.specdec.verify.JudgeHead router = distilled && Files.isRegularFile(routerFile)
                ? io.specdec.verify.JudgeHead.load(routerFile) : null;
        LoadedModel dl = ModelLoader.load(draftPath);
        try (LlamaModel draft = new LlamaModel(io.specdec.drafters.draftmodel.DraftModelDrafter.forContext(
                dl.weights(), target.config().contextLength(), draftPath.getFileName().toString()));
                ai.djl.ndarray.NDManager nd = io.specdec.engine.SpecdecEngine.newManager()) {
            for (String decoding : opt.decodings()) {
                boolean greedy = decoding.equals("greedy");
                List<String> modes = new ArrayList<>(List.of("lossless"));
                for (String m : opt.lossyModes()) {
                    String rule = m.split(":")[0];
                    boolean applies = greedy ? rule.equals("judge") || rule.equals("r2r")
                            : rule.equals("typical") || rule.equals("lantern");
                    if (!applies) {
                        continue; // typical acceptance is exactly lossless under greedy decoding
                    }
                    if (rule.equals("r2r") && router == null) {
                        note("r2r modes skipped: the router " + ROUTER + " goes with the project's distilled draft"
                                + " (models/stories260K-draft2L.gguf), and " + (distilled ? "it is not in the"
                                + " project's models folder" : "the suite drafts with " + draftPath.getFileName()));
                        continue;
                    }
                    if (rule.equals("judge")) {
                        note("judge modes skipped: a judge head reads the target's hidden states and is trained per"
                                + " target (train-judge); the suite has none");
                        continue;
                    }
                    modes.add(m);
                }
                if (modes.size() == 1) {
                    continue;
                }
                float temperature = greedy ? 0 : 0.7f;
                io.specdec.verify.LatentNeighbours nb = !greedy && modes.stream().anyMatch(x -> x.startsWith("lantern"))
                        ? io.specdec.verify.LatentNeighbours.of(target, nd, 8) : null;
                long t0 = System.nanoTime();
                Map<String, QualityHarness.Metrics> rows;
                try (io.specdec.cli.progress.Progress bar = io.specdec.cli.progress.Progress.start(log,
                        name + " lossy " + decoding, prompts.size(), "prompts")) {
                    rows = QualityHarness.measure(target, draft, lm.tokenizer(), prompts, 1, opt.maxTokens(),
                            temperature, LOSSY_K, modes, new QualityHarness.Heads(nb, null, router), bar::stepTo);
                }
                log.printf("%s lossy %s: %.0f s%n", name, decoding, (System.nanoTime() - t0) / 1e9);
                lossy.add(new LossyCell(name, decoding, rows));
            }
        }
    }

    private void note(String s) {
        if (!lossyNotes.contains(s)) {
            lossyNotes.add(s);
        }
    }

    private GenerationConfig config(SamplingConfig s) {
        return GenerationConfig.builder().optMaxNewTokens(opt.maxTokens()).optStopAtEos(false).optSampling(s).build();
    }

    /** {@code STEM-acceptance.gguf} beside a drafter's file when the project has one; else null. */
    static Path acceptanceHeadBeside(String file) {
        if (file == null) {
            return null;
        }
        Path f = Path.of(file);
        String stem = f.getFileName().toString().replaceFirst("\\.gguf$", "");
        Path acc = f.resolveSibling(stem + "-acceptance.gguf");
        return Files.isRegularFile(acc) ? acc : null;
    }
}
