package io.specdec.bench.cli;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.spec.SpeculationStats;
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

    private record Run(String prompt, double arSeconds, int arTokens, double specSeconds, int specTokens,
            SpeculationStats stats, boolean identical) {
        double speedup() {
            return arSeconds / specSeconds;
        }
    }

    int run(String[] argv) throws IOException {
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
            prompts.addAll(copyWorkload(Path.of(a.get("copy-from"))));
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
        try (LlamaModel m = new LlamaModel(lm.weights()); DrafterOptions d = new DrafterOptions(a, lm, m, err)) {
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
            io.specdec.spec.CostCurve curve = io.specdec.spec.CostCurve.cached(m, costCacheDir(), 5);
            Map<String, List<Run>> runs = new LinkedHashMap<>();
            names.forEach(c -> runs.put(c, new ArrayList<>()));
            for (int i = 0; i < prompts.size(); i++) {
                String p = prompts.get(i);
                GenerationResult base = ar.generate(p);
                for (String c : names) {
                    GenerationResult s = decoders.get(c).generate(p);
                    runs.get(c).add(new Run(p, base.stats().totalSeconds(), base.ids().length,
                            s.stats().totalSeconds(), s.ids().length, s.speculation(),
                            Arrays.equals(base.ids(), s.ids())));
                }
                err.printf("\rprompt %d/%d", i + 1, prompts.size());
            }
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
     * The copy workload (BENCHMARKING.md): each story of a {@code <|endoftext|>}-separated file, followed by a newline
     * and its first eight words again, so the continuation tends to repeat the passage.
     */
    static List<String> copyWorkload(Path stories) throws IOException {
        List<String> out = new ArrayList<>();
        for (String story : Files.readString(stories, StandardCharsets.UTF_8).split("<\\|endoftext\\|>")) {
            String s = story.strip();
            if (s.isEmpty()) {
                continue;
            }
            String[] words = s.split("\\s+");
            out.add(s + "\n" + String.join(" ", Arrays.copyOf(words, Math.min(8, words.length))));
        }
        return out;
    }

    /** {@code $SPECDEC_CACHE} or {@code ~/.cache/specdec}. */
    static Path costCacheDir() {
        String env = System.getenv("SPECDEC_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "specdec");
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private String report(LoadedModel lm, String model, String prompts, int maxTokens, SamplingConfig s,
            DrafterOptions d, Map<String, List<Run>> runs, boolean greedy, io.specdec.spec.CostCurve curve) {
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
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            List<Run> rs = e.getValue();
            double[] sp = rs.stream().mapToDouble(Run::speedup).toArray();
            long rounds = 0;
            long emitted = 0;
            long drafted = 0;
            long accepted = 0;
            double dt = 0;
            double vt = 0;
            double bt = 0;
            double arT = 0;
            double specT = 0;
            long arTok = 0;
            long specTok = 0;
            int identical = 0;
            for (Run r : rs) {
                rounds += r.stats().rounds();
                emitted += r.stats().emitted();
                drafted += r.stats().drafted();
                accepted += r.stats().accepted();
                dt += r.stats().draftSeconds();
                vt += r.stats().verifySeconds();
                bt += r.stats().bookkeepingSeconds();
                arT += r.arSeconds();
                specT += r.specSeconds();
                arTok += r.arTokens();
                specTok += r.specTokens();
                identical += r.identical() ? 1 : 0;
            }
            double total = dt + vt + bt;
            double tau = (double) emitted / rounds;
            double ideal = curve.idealSpeedup(tau, 1.0 + (double) drafted / rounds, dt * 1e6 / rounds);
            double achieved = (specTok / specT) / (arTok / arT);
            sb.append(String.format("| %s | %.2fx (%.2f–%.2f) | %.2fx | %.0f%% | %.2f | %.2f | %.0f | %.0f |"
                    + " %.0f%% / %.0f%% / %.1f%% | %s |%n",
                    e.getKey(), median(sp), Arrays.stream(sp).min().orElse(0),
                    Arrays.stream(sp).max().orElse(0), ideal, 100 * achieved / ideal, tau,
                    drafted == 0 ? 0 : (double) accepted / drafted, specTok / specT, arTok / arT, 100 * dt / total,
                    100 * vt / total, 100 * bt / total,
                    greedy ? identical + "/" + rs.size() : "n/a (sampling)"));
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
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            for (Run r : e.getValue()) {
                String p = r.prompt().length() > 40 ? r.prompt().substring(0, 40).replace("\n", " ") + "…" : r.prompt().replace("\n", " ");
                sb.append(String.format("| %s | %s | %.2fx | %.2f | %.2f | %s |%n", p.replace("|", "\\|"),
                        e.getKey(), r.speedup(), r.stats().tau(), r.stats().acceptanceRate(),
                        greedy ? (r.identical() ? "yes" : "NO") : "n/a"));
            }
        }
        return sb.toString();
    }

    private static Map<String, Object> toJson(Map<String, List<Run>> runs, DrafterOptions d) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (Run r : e.getValue()) {
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
