package io.specdec.bench.cli;

import io.specdec.bench.suite.BenchPaths;
import io.specdec.bench.suite.CopyWorkload;
import io.specdec.bench.suite.Interleaved;
import io.specdec.bench.suite.PromptRun;
import io.specdec.bench.suite.Suite;
import io.specdec.bench.suite.SuiteReport;
import io.specdec.bench.suite.Summary;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.spec.SpeculativeDecoder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bench}: every prompt decoded autoregressively and with each speculative configuration, interleaved in the
 * same JVM after a warm-up, so that every speedup is a ratio measured in one run (BENCHMARKING.md). Prints a table
 * per prompt and the median, and writes a Markdown and a JSON report.
 */
final class BenchCommand {
    private final PrintStream out;
    private final PrintStream err;

    BenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] argv) throws IOException {
        if (Arrays.asList(argv).contains("--suite")) {
            return suite(argv);
        }
        Set<String> opts = new HashSet<>(Set.of("model", "prompts", "max-tokens", "temperature", "top-p", "seed",
                "warmup", "limit", "report", "threads"));
        opts.addAll(DrafterOptions.OPTIONS);
        Set<String> flags = new HashSet<>(Set.of("verbose"));
        flags.addAll(DrafterOptions.FLAGS);
        opts.add("copy-from");
        Args a = new Args(argv, 1, opts, flags);
        String model = a.get("model");
        String promptsFile = a.get("prompts");
        if (model == null || (promptsFile == null) == (a.get("copy-from") == null) || a.get("drafter") == null) {
            throw new Args.UsageException("bench needs --model PATH --drafter ... and one of --prompts FILE"
                    + " (one prompt per line) or --copy-from STORIES (copy workload)");
        }
        List<String> prompts = new ArrayList<>();
        if (promptsFile != null) {
            for (String line : Files.readAllLines(Path.of(promptsFile), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
        } else {
            promptsFile = a.get("copy-from") + " (copy workload)";
            prompts.addAll(CopyWorkload.of(Path.of(a.get("copy-from"))));
        }
        int limit = a.getInt("limit", prompts.size());
        prompts = prompts.subList(0, Math.min(limit, prompts.size()));
        int maxTokens = a.getInt("max-tokens", 128);
        float temperature = a.getFloat("temperature", 0f);
        SamplingConfig sampling = SamplingConfig.builder().optTemperature(temperature)
                .optTopP(a.getFloat("top-p", 1f)).optSeed(a.getInt("seed", 42)).build();
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens).optStopAtEos(false)
                .optSampling(sampling).build();
        boolean greedy = sampling.isGreedy();
        LoadedModel lm = Progress.load(Path.of(model), err);
        try (LlamaModel m = new LlamaModel(lm.weights()); DrafterOptions d = new DrafterOptions(a, lm, m, err,
                prompts.subList(0, Math.min(2, prompts.size())))) {
            AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(cfg).build();
            Map<String, SpeculativeDecoder> decoders = new LinkedHashMap<>();
            for (DrafterOptions.Config c : d.configurations()) {
                decoders.put(d.label(c), d.decoder(m, lm, cfg, c));
            }
            List<String> names = new ArrayList<>(decoders.keySet());
            int warm = a.getInt("warmup", 3);
            err.printf("warm-up: %d prompts x (AR + %d configurations)%n", warm, names.size());
            for (int i = 0; i < warm; i++) {
                String p = prompts.get(i % prompts.size());
                ar.generate(p);
                decoders.values().forEach(x -> x.generate(p));
            }
            err.println("measuring the target's cost curve c(T) (cached per model shape and machine)");
            io.specdec.spec.CostCurve curve = io.specdec.spec.CostCurve.cached(m, BenchPaths.cache(), 5);
            int n = prompts.size();
            Map<String, List<PromptRun>> runs = Interleaved.measure(ar, decoders, prompts,
                    i -> err.printf("\rprompt %d/%d", i, n));
            err.println();
            String md = report(lm, model, promptsFile, maxTokens, sampling, d, runs, greedy, curve);
            out.print(md);
            Path reportPath = Path.of(a.get("report", "bench-report.md"));
            Path dir = reportPath.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Files.writeString(reportPath, md, StandardCharsets.UTF_8);
            Path json = dir.resolve(reportPath.getFileName().toString().replaceFirst("\\.md$", "") + ".json");
            Files.writeString(json, Json.GSON.toJson(toJson(runs, d)), StandardCharsets.UTF_8);
            err.println("report: " + reportPath + " and " + json);
        }
        return 0;
    }

    /**
     * {@code bench --suite quick|full [--targets LIST] [--workloads story,copy] [--decodings greedy,T=0.7]
     * [--limit PROMPTS] [--max-tokens N] [--calibration N] [--out DIR]}: the whole benchmark suite ({@link Suite}),
     * written by {@link SuiteReport} to {@code DIR} (default {@code docs/benchmarks}).
     */
    private int suite(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of("suite", "targets", "workloads", "decodings", "limit", "max-tokens",
                "calibration", "out", "threads"), Set.of("verbose"));
        Suite.Options p = Suite.Options.preset(a.get("suite"), BenchPaths.shared(), BenchPaths.cache());
        Suite.Options o = new Suite.Options(p.preset(), list(a.get("targets"), p.targets(), Suite.TARGETS),
                list(a.get("workloads"), p.workloads(), Suite.WORKLOADS),
                list(a.get("decodings"), p.decodings(), Suite.DECODINGS), a.getInt("limit", p.prompts()),
                a.getInt("max-tokens", p.maxTokens()), a.getInt("calibration", p.calibration()), p.shared(),
                p.cacheDir());
        if (o.prompts() < 1 || o.maxTokens() < 1 || o.calibration() < 1) {
            throw new Args.UsageException("--limit, --max-tokens and --calibration must be >= 1");
        }
        long t0 = System.nanoTime();
        Suite s = new Suite(o, err).run();
        String command = "java -jar specdec-bench/target/specdec.jar " + String.join(" ", argv);
        Path md = SuiteReport.write(s, Path.of(a.get("out", "docs/benchmarks")), command,
                (System.nanoTime() - t0) / 1e9);
        out.println(Files.readString(md, StandardCharsets.UTF_8));
        err.println("report: " + md);
        return 0;
    }

    private static List<String> list(String value, List<String> def, List<String> allowed) {
        if (value == null) {
            return def;
        }
        List<String> out = List.of(value.split(","));
        for (String v : out) {
            if (!allowed.contains(v)) {
                throw new Args.UsageException("'" + v + "' is not one of " + allowed);
            }
        }
        return out;
    }

    private String report(LoadedModel lm, String model, String prompts, int maxTokens, SamplingConfig s,
            DrafterOptions d, Map<String, List<PromptRun>> runs, boolean greedy, io.specdec.spec.CostCurve curve) {
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
                + " spec tok/s | AR tok/s | draft / verify / bookkeeping | greedy-identical |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
            Summary x = Summary.of(e.getValue(), curve);
            sb.append(String.format("| %s | %.2fx (%.2f–%.2f) | %.2fx | %.0f%% | %.2f | %.2f | %.0f | %.0f |"
                    + " %.0f%% / %.0f%% / %.1f%% | %s |%n",
                    e.getKey(), x.speedupMedian(), x.speedupMin(), x.speedupMax(), x.ideal(),
                    100 * x.achievedOverIdeal(), x.tau(), x.acceptance(), x.specTokensPerSecond(),
                    x.arTokensPerSecond(), 100 * x.draftFraction(), 100 * x.verifyFraction(),
                    100 * x.bookkeepingFraction(), greedy ? x.identical() + "/" + x.prompts() : "n/a (sampling)"));
        }
        sb.append("\nExtra memory per drafter (bytes): ");
        for (String dn : new java.util.LinkedHashSet<>(d.configurations().stream().map(DrafterOptions.Config::drafter)
                .toList())) {
            sb.append(dn).append(" ").append(String.format("%,d", d.memoryBytes(dn))).append("; ");
        }
        sb.append("(recycling/hybrid: the V·k int32 adjacency matrix; draft-model: weights + KV cache at capacity;"
                + " del: its own KV cache at capacity (it shares the target's weights); prompt lookup keeps nothing"
                + " between rounds)\n");
        sb.append("\nIdeal speedup = τ·c(1) / (c(T_verify) + draft time per round), from the cost curve below (mean"
                + " tree size + 1 tokens per verify); achieved/ideal compares total tokens/s ratios.\n\n");
        sb.append("## Target cost curve c(T)\n\n").append(curve.table());
        if (d.delSummary() != null) {
            sb.append("\n## DEL: per-layer acceptance learned from shadow tokens\n\n").append(d.delSummary());
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

    private static Map<String, Object> toJson(Map<String, List<PromptRun>> runs, DrafterOptions d) {
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
}
