package io.specdec.cli;

import io.specdec.Specdec;
import io.specdec.cli.progress.Progress;
import io.specdec.cli.suite.BenchPaths;
import io.specdec.cli.suite.CopyWorkload;
import io.specdec.cli.suite.Interleaved;
import io.specdec.cli.suite.PromptRun;
import io.specdec.cli.suite.Suite;
import io.specdec.cli.suite.SuiteReport;
import io.specdec.cli.suite.Summary;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench}: every prompt decoded autoregressively and with each speculative configuration (drafter ×
 * controller), interleaved in the same JVM after a warm-up, so that every speedup is a ratio measured in one run
 * (BENCHMARKING.md). Prints a table per prompt and the median, and writes a Markdown and a JSON report. With
 * {@code --suite quick|full}: the benchmark suite ({@link Suite}) over every registered drafter.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "AR vs speculative decoding per prompt, interleaved in one JVM; or the whole suite (--suite).")
final class BenchCommand extends Subcommand {
    @Mixin
    DrafterCli drafting = new DrafterCli();

    @Option(names = "--model", paramLabel = "PATH", description = "the target checkpoint")
    Path model;
    @Option(names = "--prompts", paramLabel = "FILE", description = "one prompt per line")
    Path promptsFile;
    @Option(names = "--copy-from", paramLabel = "STORIES", description = "copy workload built from a story file")
    Path copyFrom;
    @Option(names = "--max-tokens", paramLabel = "N", description = "new tokens per generation; default 128"
            + " (suite: the preset's)")
    Integer maxTokens;
    @Mixin
    SamplingOptions samplingOptions;
    @Option(names = "--warmup", paramLabel = "N", description = "warm-up prompts through every configuration;"
            + " default 3")
    int warmup = 3;
    @Option(names = "--limit", paramLabel = "N", description = "at most N prompts (suite: per workload)")
    Integer limit;
    @Option(names = "--report", paramLabel = "FILE.md", description = "default: bench-report.md in"
            + " $SPECDEC_CACHE/reports")
    Path report;

    @Option(names = "--pipeline", split = ",", paramLabel = "off|on|auto[,...]", description = "LLMCad's pipeline:"
            + " each listed setting is a configuration of every drafter (e.g. off,on compares them in one run);"
            + " default off")
    List<String> pipeline;

    @Option(names = "--concurrency", split = ",", paramLabel = "LIST", description = "continuous batching: B"
            + " generations at once for each B listed (e.g. 1,2,4,8,16), AR and each --drafter; default prompts:"
            + " 16 story openings")
    List<Integer> concurrency;

    @Option(names = "--suite", paramLabel = "quick|full", description = "run the benchmark suite")
    String suite;
    @Option(names = "--targets", split = ",", paramLabel = "LIST", description = "suite targets: stories260K, twin-25M, twin-150M (the presets), twin-1B-q4_0,"
            + " twin-1B-q8_0, twin-deep-q4_0, twin-deep-q8_0 (built on demand into the cache)")
    List<String> targets;
    @Option(names = "--workloads", split = ",", paramLabel = "LIST", description = "suite workloads: story, copy")
    List<String> workloads;
    @Option(names = "--decodings", split = ",", paramLabel = "LIST", description = "suite decodings: greedy, T=0.7")
    List<String> decodings;
    @Option(names = "--calibration", paramLabel = "N", description = "suite calibration prompts per target")
    Integer calibration;
    @Option(names = "--out", paramLabel = "DIR", description = "suite report folder; default"
            + " $SPECDEC_CACHE/reports (docs/benchmarks holds the committed ones)")
    Path outDir;
    @Option(names = "--lossy-modes", split = ",", paramLabel = "LIST|none", description = "the suite's speed ×"
            + " quality section: lossy modes NAME:KNOB (typical, lantern: sampled; r2r: greedy, with the committed"
            + " router); default typical:0.05,0.09,0.2, lantern:0.05,0.15,0.3, r2r:0.3,0.5,0.7; none = no section")
    List<String> lossyModes;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        configure();
        PrintStream out = main.out;
        PrintStream err = main.err;
        if (pipeline != null && (suite != null || concurrency != null)) {
            throw new CommandLine.ParameterException(cl, "--pipeline applies to the per-prompt bench, not to --suite"
                    + " or --concurrency");
        }
        if (suite != null) {
            return suite(cl, out, err);
        }
        if (concurrency != null) {
            return concurrency(cl, out);
        }
        if (targets != null || workloads != null || decodings != null || calibration != null || outDir != null
                || lossyModes != null) {
            throw new CommandLine.ParameterException(cl, "--targets, --workloads, --decodings, --calibration,"
                    + " --lossy-modes and --out are suite options (--suite quick|full)");
        }
        List<String> drafters = drafting.chosen(cl);
        if (model == null || (promptsFile == null) == (copyFrom == null) || drafters.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "bench needs --model PATH, --drafter NAME[,NAME...] and one"
                    + " of --prompts FILE (one prompt per line) or --copy-from STORIES (copy workload)");
        }
        List<String> controllers = drafting.controllers(cl, true);
        List<String> prompts = new ArrayList<>();
        String promptsName;
        if (promptsFile != null) {
            for (String line : Subcommand.textLines(promptsFile)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
            promptsName = String.valueOf(promptsFile.getFileName());
        } else {
            promptsName = copyFrom.getFileName() + " (copy workload)";
            prompts.addAll(CopyWorkload.of(copyFrom));
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException((promptsFile != null ? promptsFile : copyFrom) + ": no prompts");
        }
        int n0 = limit == null ? prompts.size() : limit;
        if (n0 < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(cl, "--limit must be >= 1 and --warmup >= 0");
        }
        prompts = prompts.subList(0, Math.min(n0, prompts.size()));
        int tokens = maxTokens == null ? 128 : maxTokens;
        if (tokens < 1) {
            throw new CommandLine.ParameterException(cl, "--max-tokens must be >= 1, found " + tokens);
        }
        SamplingConfig sampling = samplingOptions.build(cl);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                .optSampling(sampling).build();
        boolean greedy = sampling.isGreedy();
        LoadedModel lm = Progress.load(model, err);
        try (LlamaModel m = lm.newModel()) {
            List<DrafterSetup> setups = drafting.setups(cl, drafters, m, lm.tokenizer(),
                    prompts.subList(0, Math.min(2, prompts.size())), BenchPaths.cache(), err);
            try {
                AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(m)
                        .setTokenizer(lm.tokenizer()).optConfig(cfg).build();
                Map<String, SpeculativeDecoder> decoders = new LinkedHashMap<>();
                List<SpeculativeDecoder.Pipeline> pipelines = new ArrayList<>();
                for (String pl : pipeline == null ? List.of("off") : pipeline) {
                    try {
                        pipelines.add(SpeculativeDecoder.Pipeline.parse(pl));
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cl, "--pipeline: " + e.getMessage());
                    }
                }
                for (DrafterSetup s : setups) {
                    for (String c : controllers) {
                        var controller = drafting.controller(c, s, m, BenchPaths.cache());
                        for (SpeculativeDecoder.Pipeline pl : pipelines) {
                            boolean on = pl.resolve(m.threads(), Runtime.getRuntime().availableProcessors());
                            decoders.put(s.name() + " " + s.shape() + " " + controller.get().name()
                                    + (pipelines.size() > 1 || on ? " pipeline " + pl.name().toLowerCase(
                                            java.util.Locale.ROOT) + (pl == SpeculativeDecoder.Pipeline.AUTO
                                            ? (on ? " (on)" : " (off)") : "") : ""),
                                    Speculation.decoder(m, lm.tokenizer(), s.factory(), cfg)
                                            .optControllerFactory(controller)
                                            .optMaxDraft(Math.max(16, s.budget())).optPipeline(on).build());
                        }
                    }
                }
                try (Progress p = Progress.start(err, "warm-up", (long) warmup * (1 + decoders.size()), null)) {
                    for (int i = 0; i < warmup; i++) {
                        String pr = prompts.get(i % prompts.size());
                        ar.generate(pr);
                        p.step();
                        for (SpeculativeDecoder d : decoders.values()) {
                            d.generate(pr);
                            p.step();
                        }
                    }
                }
                err.println("measuring the target's cost curve c(T) (cached per model shape and machine)");
                io.specdec.speculation.CostCurve curve = io.specdec.speculation.CostCurve.cached(m,
                        BenchPaths.cache(), 5);
                Map<String, List<PromptRun>> runs;
                try (Progress p = Progress.start(err, "prompts", prompts.size(), null)) {
                    runs = Interleaved.measure(ar, decoders, prompts, p::stepTo);
                }
                String md = report(lm, String.valueOf(model.getFileName()), promptsName, tokens, sampling, setups,
                        runs, greedy, curve);
                out.print(md);
                Path reportPath = (report != null ? report : BenchPaths.reports().resolve("bench-report.md"))
                        .toAbsolutePath();
                Path dir = reportPath.getParent();
                Files.createDirectories(dir);
                Files.writeString(reportPath, md, StandardCharsets.UTF_8);
                Path jsonPath = dir.resolve(reportPath.getFileName().toString().replaceFirst("\\.md$", "") + ".json");
                Files.writeString(jsonPath, Json.GSON.toJson(toJson(runs)), StandardCharsets.UTF_8);
                err.println("report: " + reportPath + " and " + jsonPath);
            } finally {
                setups.forEach(DrafterSetup::close);
            }
        }
        return 0;
    }

    private int suite(CommandLine cl, PrintStream out, PrintStream err) throws IOException {
        if (model != null || promptsFile != null || copyFrom != null || report != null || !drafting.values.isEmpty()
                || drafting.controller != null) {
            throw new CommandLine.ParameterException(cl, "--suite runs its own targets, prompts and drafters; use"
                    + " --targets, --workloads, --decodings, --limit, --max-tokens, --calibration, --out, --drafter");
        }
        Suite.Options p;
        try {
            p = Suite.Options.preset(suite, BenchPaths.shared(), BenchPaths.cache());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        Suite.Options o = new Suite.Options(p.preset(), list(cl, targets, p.targets(), Suite.ALL_TARGETS),
                list(cl, workloads, p.workloads(), Suite.WORKLOADS),
                list(cl, decodings, p.decodings(), Suite.DECODINGS), limit == null ? p.prompts() : limit,
                maxTokens == null ? p.maxTokens() : maxTokens, calibration == null ? p.calibration() : calibration,
                p.shared(), p.cacheDir(), drafting.drafters == null ? List.of() : drafting.drafters,
                lossyModes == null ? p.lossyModes() : lossyModes.equals(List.of("none")) ? List.of() : lossyModes);
        for (String m : o.lossyModes()) {
            String rule = m.split(":")[0];
            if (!List.of("typical", "lantern", "judge", "r2r").contains(rule) || m.split(":").length != 2) {
                throw new CommandLine.ParameterException(cl, "--lossy-modes: expected NAME:KNOB with NAME typical,"
                        + " lantern, judge or r2r (or none), found '" + m + "'");
            }
            try {
                Double.parseDouble(m.split(":")[1]);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "--lossy-modes: the knob of '" + m + "' must be a number");
            }
        }
        if (o.prompts() < 1 || o.maxTokens() < 1 || o.calibration() < 1) {
            throw new CommandLine.ParameterException(cl, "--limit, --max-tokens and --calibration must be >= 1");
        }
        long t0 = System.nanoTime();
        Suite s = new Suite(o, err).run();
        StringBuilder command = new StringBuilder("java -jar specdec-cli/target/specdec.jar bench --suite " + suite);
        for (String[] kv : new String[][] {{"targets", targets == null ? null : String.join(",", targets)},
            {"workloads", workloads == null ? null : String.join(",", workloads)},
            {"decodings", decodings == null ? null : String.join(",", decodings)},
            {"drafter", drafting.drafters == null ? null : String.join(",", drafting.drafters)},
            {"limit", limit == null ? null : limit.toString()},
            {"max-tokens", maxTokens == null ? null : maxTokens.toString()},
            {"calibration", calibration == null ? null : calibration.toString()},
            {"lossy-modes", lossyModes == null ? null : String.join(",", lossyModes)}}) {
            if (kv[1] != null) {
                command.append(" --").append(kv[0]).append(' ').append(kv[1]);
            }
        }
        Path dir = (outDir != null ? outDir : BenchPaths.reports()).toAbsolutePath();
        Path md = SuiteReport.write(s, dir, command.toString(), (System.nanoTime() - t0) / 1e9);
        out.println(Files.readString(md, StandardCharsets.UTF_8));
        err.println("report: " + md);
        return 0;
    }

    private static List<String> list(CommandLine cl, List<String> value, List<String> def, List<String> allowed) {
        if (value == null) {
            return def;
        }
        for (String v : value) {
            if (!allowed.contains(v)) {
                throw new CommandLine.ParameterException(cl, "'" + v + "' is not one of " + allowed);
            }
        }
        return value;
    }

    private String report(LoadedModel lm, String model, String prompts, int maxTokens, SamplingConfig s,
            List<DrafterSetup> setups, Map<String, List<PromptRun>> runs, boolean greedy,
            io.specdec.speculation.CostCurve curve) {
        StringBuilder sb = new StringBuilder();
        Runtime rt = Runtime.getRuntime();
        sb.append("# specdec bench — ").append(LocalDate.now()).append("\n\n");
        sb.append(String.format("Machine: %d cores, Java %s, DJL 0.36.0 / PyTorch 2.7.1 (%s), %s intra-op thread(s)%n%n",
                rt.availableProcessors(), System.getProperty("java.version"),
                System.getProperty("specdec.device", "default device"),
                System.getProperty("ai.djl.pytorch.num_threads", "?")));
        sb.append(String.format("Target `%s` (%,d parameters); prompts `%s` (%d); %d new tokens; sampling %s%n%n",
                model, lm.config().parameterCount(), prompts, runs.values().iterator().next().size(), maxTokens,
                greedy ? "greedy" : "T=" + s.temperature() + ", top-p " + s.topP()));
        sb.append("AR and each configuration decode every prompt back to back in one JVM after warm-up; speedup = AR"
                + " time / speculative time for the same prompt (prefill included).\n\n");
        sb.append("| configuration | speedup median (min–max) | ideal speedup | achieved/ideal | τ | acceptance |"
                + " drafted/round | spec tok/s | AR tok/s | draft / verify / bookkeeping | greedy-identical |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
            Summary x = Summary.of(e.getValue(), curve);
            sb.append(String.format("| %s | %.2fx (%.2f–%.2f) | %.2fx | %.0f%% | %.2f | %.2f | %.2f | %.0f | %.0f |"
                    + " %.0f%% / %.0f%% / %.1f%% | %s |%n",
                    e.getKey(), x.speedupMedian(), x.speedupMin(), x.speedupMax(), x.ideal(),
                    100 * x.achievedOverIdeal(), x.tau(), x.acceptance(), x.meanVerifyTokens() - 1,
                    x.specTokensPerSecond(),
                    x.arTokensPerSecond(), 100 * x.draftFraction(), 100 * x.verifyFraction(),
                    100 * x.bookkeepingFraction(), greedy ? x.identical() + "/" + x.prompts() : "n/a (sampling)"));
        }
        sb.append("\nExtra memory per drafter (bytes): ");
        for (DrafterSetup d : setups) {
            sb.append(d.name()).append(" ").append(String.format("%,d", d.memoryBytes())).append("; ");
        }
        sb.append("(recycling/hybrid: the V·k int32 adjacency matrix; draft-model: weights + KV cache at capacity;"
                + " del: its own KV cache at capacity (it shares the target's weights); prompt lookup keeps nothing"
                + " between rounds)\n");
        sb.append("\nIdeal speedup = τ·c(1) / (c(T_verify) + draft time per round), from the cost curve below (mean"
                + " tree size + 1 tokens per verify); achieved/ideal compares total tokens/s ratios.\n\n");
        sb.append("## Target cost curve c(T)\n\n").append(curve.table());
        for (DrafterSetup d : setups) {
            for (Map.Entry<String, String> e : d.notes().get().entrySet()) {
                sb.append("\n## ").append(d.name()).append(": ").append(e.getKey()).append("\n\n").append(e.getValue())
                        .append('\n');
            }
        }
        sb.append("\n## Per prompt\n\n| prompt | configuration | speedup | τ | acceptance | identical |\n");
        sb.append("| --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
            for (PromptRun r : e.getValue()) {
                String p = r.prompt().length() > 40 ? r.prompt().substring(0, 40).replace("\n", " ") + "…" : r.prompt().replace("\n", " ");
                sb.append(String.format("| %s | %s | %.2fx | %.2f | %.2f | %s |%n", p.replace("|", "\\|"),
                        e.getKey(), r.speedup(), r.stats().tau(), r.stats().acceptanceRate(),
                        greedy ? (r.identical() ? "yes" : "NO") : "n/a"));
            }
        }
        return sb.toString();
    }

    private static Map<String, Object> toJson(Map<String, List<PromptRun>> runs) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (PromptRun r : e.getValue()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prompt", r.prompt());
                m.put("speedup", r.speedup());
                m.put("ar_seconds", r.arSeconds());
                m.put("spec_seconds", r.specSeconds());
                m.put("tau", r.stats().tau());
                m.put("acceptance_rate", r.stats().acceptanceRate());
                m.put("rounds", r.stats().rounds());
                m.put("per_position_acceptance", r.stats().perPositionAcceptance());
                m.put("accepted_length_histogram", r.stats().acceptedLengthHistogram());
                m.put("draft_seconds", r.stats().draftSeconds());
                m.put("verify_seconds", r.stats().verifySeconds());
                m.put("bookkeeping_seconds", r.stats().bookkeepingSeconds());
                m.put("greedy_identical", r.identical());
                list.add(m);
            }
            o.put(e.getKey(), list);
        }
        return o;
    }

    /** {@code --concurrency}: {@link ConcurrencyBench} over AR and each drafter chosen, batching on. */
    private int concurrency(CommandLine cl, PrintStream out) throws IOException {
        if (model == null) {
            throw new CommandLine.ParameterException(cl, "bench --concurrency needs --model PATH");
        }
        int[] bs = concurrency.stream().mapToInt(Integer::intValue).toArray();
        for (int b : bs) {
            if (b < 1 || b > 256) {
                throw new CommandLine.ParameterException(cl, "--concurrency: each B must be in 1..256, found " + b);
            }
        }
        List<String> prompts = new ArrayList<>();
        if (promptsFile != null) {
            for (String line : Subcommand.textLines(promptsFile)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
        } else {
            prompts.addAll(ConcurrencyBench.PROMPTS);
        }
        if (limit != null) {
            prompts = prompts.subList(0, Math.min(limit, prompts.size()));
        }
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens == null ? 64 : maxTokens)
                .optSampling(samplingOptions.build(cl)).optStopAtEos(false).build();
        List<ConcurrencyBench.Mode> modes = new ArrayList<>();
        modes.add(new ConcurrencyBench.Mode("AR", () -> Specdec.builder().setModel(model).optConfig(cfg)
                .optBatching(true).build()));
        for (String d : drafting.chosen(cl)) {
            modes.add(new ConcurrencyBench.Mode(d, () -> {
                Specdec.Builder b = Specdec.builder().setModel(model).optConfig(cfg).optBatching(true).optDrafter(d);
                drafting.values.forEach(b::optDrafterOption);
                return b.build();
            }));
        }
        try {
            ConcurrencyBench.run(out, String.valueOf(model.getFileName()), modes, prompts, cfg, bs);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return 0;
    }
}
