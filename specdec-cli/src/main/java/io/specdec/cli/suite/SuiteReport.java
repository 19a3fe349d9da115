package io.specdec.cli.suite;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a suite run as {@code <dir>/<date>-<machine>.md} (machine, command, method, tables, the targets
 * checked, charts) with its PNG charts in {@code <dir>/<date>-<machine>/} and every per-prompt figure in
 * {@code <dir>/<date>-<machine>.json}. Stateless.
 */
public final class SuiteReport {
    private SuiteReport() {}

    /** Machine tag for file names: {@code <cores>cpu-<cpu vendor/model words>}, lower case. */
    public static String machineTag() {
        String model = cpuModel().toLowerCase(Locale.ROOT).replaceAll("\\(r\\)|\\(tm\\)|processor|cpu|@.*", " ")
                .trim().replaceAll("[^a-z0-9]+", "-").replaceAll("-+$", "");
        String[] words = model.split("-");
        String shortModel = String.join("-", java.util.Arrays.copyOf(words, Math.min(3, words.length)));
        return Runtime.getRuntime().availableProcessors() + "cpu" + (shortModel.isEmpty() ? "" : "-" + shortModel);
    }

    /** Writes the report; returns the Markdown path. */
    public static Path write(Suite suite, Path dir, String command, double wallSeconds) throws IOException {
        String base = LocalDate.now() + "-" + machineTag();
        Files.createDirectories(dir);
        List<String> charts = Charts.write(suite, dir.resolve(base));
        Path md = dir.resolve(base + ".md");
        Files.writeString(md, markdown(suite, base, command, wallSeconds, charts), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(base + ".json"), json(suite), StandardCharsets.UTF_8);
        return md;
    }

    static String markdown(Suite suite, String base, String command, double wallSeconds, List<String> charts) {
        Suite.Options o = suite.options();
        StringBuilder sb = new StringBuilder();
        sb.append("# specdec benchmark suite — ").append(LocalDate.now()).append(" (").append(o.preset())
                .append(")\n\n");
        sb.append("**Machine:** ").append(machine()).append("\n\n");
        sb.append("**Command:** `").append(command).append("` — wall time ")
                .append(String.format(Locale.ROOT, "%.1f min", wallSeconds / 60)).append(".\n\n");
        sb.append(String.format(Locale.ROOT, "**Settings:** %d measured prompts per workload (copy: at most one per"
                + " story of the sample), %d new tokens each (EOS ignored), %d calibration prompts per target taken"
                + " from the end of `story_prompts.txt` (disjoint from the measured ones), T = 0.7 without top-p/top-k,"
                + " seed 42.%n%n", o.prompts(), o.maxTokens(), o.calibration()));
        sb.append("**Method (BENCHMARKING.md):** for every prompt, AR and then each configuration decode back to"
                + " back in one JVM after warm-up; speedup = AR wall time / speculative wall time for the same prompt"
                + " and token count, prefill included (median over prompts, min–max). τ = emitted tokens per"
                + " target forward."
                + " Ideal = τ·c(1) / (c(mean verify tokens) + measured draft time per round) from the target's"
                + " measured cost curve; achieved/ideal uses pooled tokens/s. Chains and trees are sized per target"
                + " by `TreeSizing` from the cost curve and acceptance measured on the calibration prompts (draft"
                + " model: the empirical joint probability of every rank path, from the teacher-forced ranks of the"
                + " target's greedy tokens in the draft's distribution — exact for greedy chains and static trees,"
                + " with the correlation between consecutive acceptances kept; recycling: Sequoia's positional"
                + " model from which of the root's children the target accepted, recorded in flight while the"
                + " paper's 80-node template decodes the calibration prompts, since the matrix learns during a"
                + " request). The recycling matrix is shared by the"
                + " recycling and hybrid configurations of a target and keeps learning across prompts (the paper's"
                + " warm start). Losslessness: greedy ids compared with AR for every prompt; the sampling"
                + " distribution is checked by the contract tests (chi-square), not here.\n\n");

        sb.append("## Targets\n\n| target | parameters | AR ms/token | c(4)/c(1) | c(8)/c(1) | c(16)/c(1) |"
                + " twin check (max |Δlogit|, greedy identical) |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Suite.TargetInfo t : suite.targets()) {
            double c1 = t.curve().micros(1);
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %.2f | %.2f | %.2f | %s |%n", t.name(),
                    t.parameters(), t.arMsPerToken(), t.curve().micros(4) / c1, t.curve().micros(8) / c1,
                    t.curve().micros(16) / c1, t.check() == null ? "original (golden parity tests)"
                            : String.format(Locale.ROOT, "%.1e, %s over %d tokens — %s", t.check().maxLogitDiff(),
                                    t.check().greedyIdentical() ? "identical" : "DIFFERENT", t.check().tokens(),
                                    t.check().passed() ? "pass" : "FAIL")));
        }

        sb.append("\n## Headline: speedup over AR (median over prompts)\n\n");
        for (String w : o.workloads()) {
            for (String d : o.decodings()) {
                sb.append("### ").append(w).append(" workload, ").append(d).append("\n\n| configuration |");
                suite.targets().forEach(t -> sb.append(' ').append(t.name()).append(" |"));
                sb.append("\n| --- |");
                suite.targets().forEach(t -> sb.append(" --- |"));
                sb.append('\n');
                for (String c : configs(suite)) {
                    sb.append("| ").append(c).append(" |");
                    for (Suite.TargetInfo t : suite.targets()) {
                        Optional<Suite.Cell> cell = find(suite, t.name(), w, d, c);
                        sb.append(cell.map(x -> String.format(Locale.ROOT, " %.2fx (τ %.2f) |",
                                x.summary().speedupMedian(), x.summary().tau())).orElse(" — |"));
                    }
                    sb.append('\n');
                }
                sb.append('\n');
            }
        }

        sb.append("## The issue's targets (greedy, story workload)\n\n").append(targets(suite)).append('\n');

        if (!suite.lossyCells().isEmpty() || !suite.lossyNotes().isEmpty()) {
            sb.append("## Lossy acceptance: speed × quality\n\n").append(String.format(Locale.ROOT, "Opt-in lossy"
                    + " rules (`--lossy`, docs/SEED_SYSTEMS.md) on the story workload's prompts, the draft model"
                    + " drafting a chain of %d (r2r: its router stops the chain, at most %d), against plain decoding"
                    + " and lossless speculation in the same run (`QualityHarness`; sampled at T = 0.7 with seed 1000 +"
                    + " prompt index, the same for every mode): target log-likelihood per output token"
                    + " (teacher-forced), the share of tokens equal to greedy decoding's, distinct-2. One Pareto chart"
                    + " per target and decoding below.%n%n", Suite.LOSSY_K, QualityHarness.R2R_CHUNK));
            for (String n : suite.lossyNotes()) {
                sb.append("- ").append(n).append('\n');
            }
            if (!suite.lossyNotes().isEmpty()) {
                sb.append('\n');
            }
            for (Suite.LossyCell l : suite.lossyCells()) {
                sb.append("### ").append(l.target()).append(", ").append(l.decoding()).append("\n\n")
                        .append(QualityHarness.table(l.rows())).append('\n');
            }
        }

        sb.append("## Charts\n\n");
        for (String c : charts) {
            sb.append("![").append(c.replace(".png", "")).append("](").append(base).append('/').append(c)
                    .append(")\n\n");
        }

        for (Suite.TargetInfo t : suite.targets()) {
            sb.append("## ").append(t.name()).append("\n\n");
            sb.append(String.format(Locale.ROOT, "%,d parameters; AR %.2f ms/token.%n%n", t.parameters(),
                    t.arMsPerToken()));
            sb.append("Configurations (as their drafters built them) and extra memory:\n\n");
            for (Map.Entry<String, Suite.ConfigInfo> e : t.configs().entrySet()) {
                Suite.ConfigInfo c = e.getValue();
                sb.append(String.format(Locale.ROOT, "- %s (`%s`): %s; %,d bytes%n", e.getKey(), c.drafter(),
                        c.shape(), c.memoryBytes()));
                for (Map.Entry<String, String> n : c.notes().entrySet()) {
                    String v = n.getValue().strip();
                    sb.append(v.contains("\n") ? "  - " + n.getKey() + ":\n\n" + v.indent(4) + "\n"
                            : "  - " + n.getKey() + ": " + v + "\n");
                }
            }
            sb.append("\nCost curve:\n\n").append(t.curve().table()).append('\n');
            sb.append("| workload | decoding | configuration | speedup median (min–max) | ideal | achieved/ideal |"
                    + " τ | acceptance | spec tok/s | AR tok/s | verify tokens | draft / verify / bookkeeping |"
                    + " greedy-identical |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
                    + " --- |\n");
            for (Suite.Cell c : suite.cells()) {
                if (!c.target().equals(t.name())) {
                    continue;
                }
                Summary x = c.summary();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx (%.2f–%.2f) | %.2fx | %.0f%% | %.2f |"
                        + " %.2f | %.1f | %.1f | %.1f | %.0f%% / %.0f%% / %.1f%% | %s |%n", c.workload(), c.decoding(),
                        c.config(), x.speedupMedian(), x.speedupMin(), x.speedupMax(), x.ideal(),
                        100 * x.achievedOverIdeal(), x.tau(), x.acceptance(), x.specTokensPerSecond(),
                        x.arTokensPerSecond(), x.meanVerifyTokens(), 100 * x.draftFraction(),
                        100 * x.verifyFraction(), 100 * x.bookkeepingFraction(),
                        c.decoding().equals("greedy") ? x.identical() + "/" + x.prompts() : "n/a"));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The acceptance targets, each met or missed by how much. */
    static String targets(Suite suite) {
        StringBuilder sb = new StringBuilder("| target | required | measured | verdict |\n| --- | --- | --- | --- |\n");
        row(sb, suite, "twin-25M: best configuration", "twin-25M", null, 2.0);
        row(sb, suite, "twin-25M: Token Recycling", "twin-25M", "recycling", 1.6);
        row(sb, suite, "twin-25M: draft model", "twin-25M", "draft", 1.6);
        row(sb, suite, "twin-150M: best configuration", "twin-150M", null, 1.5);
        List<String> low = new ArrayList<>();
        int total = 0;
        for (Suite.Cell c : suite.cells()) {
            if (c.workload().equals("story") && c.decoding().equals("greedy")) {
                total++;
                if (c.summary().achievedOverIdeal() < 0.8) {
                    low.add(String.format(Locale.ROOT, "%s/%s %.0f%%", c.target(), c.config(),
                            100 * c.summary().achievedOverIdeal()));
                }
            }
        }
        sb.append(String.format(Locale.ROOT, "| every configuration ≥ 80%% of its ideal | ≥ 80%% |"
                + " %d of %d below%s | %s |%n", low.size(), total, low.isEmpty() ? "" : ": " + String.join(", ", low),
                low.isEmpty() ? "met" : "missed"));
        return sb.toString();
    }

    private static void row(StringBuilder sb, Suite suite, String label, String target, String prefix,
            double required) {
        Suite.Cell best = null;
        for (Suite.Cell c : suite.cells()) {
            if (c.target().equals(target) && c.workload().equals("story") && c.decoding().equals("greedy")
                    && (prefix == null || c.config().startsWith(prefix))
                    && (best == null || c.summary().speedupMedian() > best.summary().speedupMedian())) {
                best = c;
            }
        }
        if (best == null) {
            sb.append("| ").append(label).append(" | ≥ ").append(required).append("x | not run | — |\n");
            return;
        }
        double s = best.summary().speedupMedian();
        sb.append(String.format(Locale.ROOT, "| %s | ≥ %.1fx | %.2fx (%s; τ %.2f, ideal %.2fx) | %s |%n", label,
                required, s, best.config(), best.summary().tau(), best.summary().ideal(),
                s >= required ? "met" : String.format(Locale.ROOT, "missed by %.2fx (%.0f%%)", required - s,
                        100 * (required - s) / required)));
    }

    private static List<String> configs(Suite suite) {
        List<String> out = new ArrayList<>();
        for (Suite.Cell c : suite.cells()) {
            if (!out.contains(c.config())) {
                out.add(c.config());
            }
        }
        return out;
    }

    private static Optional<Suite.Cell> find(Suite suite, String target, String w, String d, String c) {
        return suite.cells().stream().filter(x -> x.target().equals(target) && x.workload().equals(w)
                && x.decoding().equals(d) && x.config().equals(c)).findFirst();
    }

    static String machine() {
        Runtime rt = Runtime.getRuntime();
        long memKb = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    memKb = Long.parseLong(l.replaceAll("\\D+", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            memKb = 0;
        }
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB RAM, %s %s; Java %s (%s); DJL 0.36.0 / PyTorch"
                + " 2.7.1 CPU, %s intra-op thread(s); peak RSS of the run %s", cpuModel(), rt.availableProcessors(),
                memKb / 1048576.0, System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                System.getProperty("ai.djl.pytorch.num_threads", "1"), peakRss());
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
        return System.getProperty("os.arch");
    }

    /** VmHWM of this process, or "n/a". */
    static String peakRss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return String.format(Locale.ROOT, "%.0f MiB", Long.parseLong(l.replaceAll("\\D+", "")) / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
        return "n/a";
    }

    static String json(Suite suite) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Suite.Cell c : suite.cells()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", c.target());
            m.put("workload", c.workload());
            m.put("decoding", c.decoding());
            m.put("configuration", c.config());
            m.put("summary", c.summary());
            List<Map<String, Object>> runs = new ArrayList<>();
            for (PromptRun r : c.runs()) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("prompt", r.prompt().length() > 60 ? r.prompt().substring(0, 60) : r.prompt());
                x.put("speedup", r.speedup());
                x.put("ar_seconds", r.arSeconds());
                x.put("spec_seconds", r.specSeconds());
                x.put("tokens", r.specTokens());
                x.put("tau", r.stats().tau());
                x.put("greedy_identical", r.identical());
                runs.add(x);
            }
            m.put("runs", runs);
            out.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("options", Map.of("preset", suite.options().preset(), "prompts", suite.options().prompts(),
                "max_tokens", suite.options().maxTokens()));
        root.put("cells", out);
        List<Map<String, Object>> lossy = new ArrayList<>();
        for (Suite.LossyCell l : suite.lossyCells()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", l.target());
            m.put("decoding", l.decoding());
            m.put("modes", l.rows());
            lossy.add(m);
        }
        root.put("lossy", lossy);
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(root);
    }
}
