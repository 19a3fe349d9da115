package io.specdec.bench.lossy;

import ai.djl.ndarray.NDManager;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.engine.SpecdecEngine;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.LanternAcceptance;
import io.specdec.verify.LatentNeighbours;
import io.specdec.verify.Speculation;
import io.specdec.verify.TypicalAcceptance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The quality harness of the lossy acceptance rules: per prompt (same seed for every mode) plain decoding, lossless
 * speculative decoding and each lossy mode at each knob setting, back to back, sampled at {@code temperature} or
 * greedy at 0 (judge modes are greedy, LANTERN sampled); reports tokens/s and x vs plain decoding, τ, the target's mean log-likelihood per output token (teacher-forced, temperature 1) and its perplexity,
 * the share of output tokens equal to greedy decoding's at the same position, and distinct-2 over all outputs.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.lossy.LossyQuality \
 *     model=TARGET draft=DRAFT prompts=FILE [limit=48] [tokens=64] [temperature=0.8] [k=4] \
 *     [modes=lossless,typical:0.05,typical:0.09,typical:0.2,lantern:0.05,lantern:0.15,lantern:0.3] [neighbours=8]
 *     [judge=FILE.json, router=FILE.json, for modes judge:T and r2r:T with temperature=0] [chart=FILE.png: the speed × quality Pareto chart]
 * }</pre>
 */
public final class LossyQuality {
    private LossyQuality() {}

    public static void main(String[] args) throws Exception {
        SpecdecEngine.configure();
        io.specdec.bench.BenchArgs a = io.specdec.bench.BenchArgs.parse(args);
        LoadedModel target = ModelLoader.load(Path.of(a.require("model")));
        LoadedModel draft = ModelLoader.load(Path.of(a.require("draft")));
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(a.require("prompts")))) {
            if (!line.isBlank()) {
                prompts.add(line.strip());
            }
        }
        prompts = prompts.subList(0, Math.min(Integer.parseInt(a.get("limit", "48")), prompts.size()));
        int tokens = Integer.parseInt(a.get("tokens", "64"));
        float temperature = Float.parseFloat(a.get("temperature", "0.8"));
        int k = Integer.parseInt(a.get("k", "4"));
        int nb = Integer.parseInt(a.get("neighbours", "8"));
        io.specdec.verify.JudgeHead judge = a.has("judge")
                ? io.specdec.verify.JudgeHead.load(Path.of(a.require("judge"))) : null;
        io.specdec.verify.JudgeHead router = a.has("router")
                ? io.specdec.verify.JudgeHead.load(Path.of(a.require("router"))) : null;
        List<String> modes = List.of(a.get("modes",
                "lossless,typical:0.05,typical:0.09,typical:0.2,lantern:0.05,lantern:0.15,lantern:0.3").split(","));
        try (LlamaModel m = target.newModel(); LlamaModel d = draft.newModel();
                NDManager nd = SpecdecEngine.newManager()) {
            LatentNeighbours neighbours = LatentNeighbours.of(m, nd, nb);
            GenerationConfig greedyCfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                    .build();
            AutoregressiveGenerator greedy = AutoregressiveGenerator.builder().setModel(m)
                    .setTokenizer(target.tokenizer()).optConfig(greedyCfg).build();
            Map<String, Row> rows = new LinkedHashMap<>();
            rows.put(PLAIN, new Row());
            modes.forEach(md -> rows.put(md, new Row()));
            for (int warm = 0; warm < 2; warm++) {
                run(m, d, target, neighbours, judge, router, prompts.get(warm), warm, tokens, temperature, k, modes, null, null);
            }
            for (int i = 0; i < prompts.size(); i++) {
                int[] g = greedy.generate(prompts.get(i)).ids();
                run(m, d, target, neighbours, judge, router, prompts.get(i), i, tokens, temperature, k, modes, rows, g);
            }
            Row base = rows.get(PLAIN);
            Map<String, List<double[]>> pareto = new LinkedHashMap<>();
            System.out.printf(Locale.ROOT, "## Lossy acceptance: %s drafted by %s, %d prompts, %d tokens, T = %.2f,"
                    + " K = %d, LANTERN neighbours k = %d%n%n", Path.of(a.require("model")).getFileName(),
                    Path.of(a.require("draft")).getFileName(), prompts.size(), tokens, temperature, k, nb);
            System.out.println("| mode | tokens/s | x vs plain decoding | τ | target log-lik/token | target perplexity"
                    + " | same token as greedy | distinct-2 |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (Map.Entry<String, Row> e : rows.entrySet()) {
                Row r = e.getValue();
                double tps = r.tokens / r.seconds;
                pareto.computeIfAbsent(e.getKey().split(":")[0], x -> new ArrayList<>()).add(new double[] {
                    tps / (base.tokens / base.seconds), r.logLik / r.tokens});
                double ll = r.logLik / r.tokens;
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.2f | %s | %.3f | %.2f | %.3f | %.3f |%n", e.getKey(),
                        tps, tps / (base.tokens / base.seconds), r.rounds == 0 ? "1.00"
                                : String.format(Locale.ROOT, "%.2f", (double) r.emitted / r.rounds), ll, Math.exp(-ll),
                        (double) r.sameAsGreedy / r.tokens, (double) r.bigrams.size() / r.bigramCount);
            }
            if (a.has("chart")) {
                chart(pareto, Path.of(a.require("chart")), String.format(Locale.ROOT, "Speed vs quality: %s, %d prompts, T %.1f",
                        Path.of(a.require("model")).getFileName(), prompts.size(), temperature));
            }
        }
        System.exit(0);
    }

    /**
     * The speed × quality Pareto chart: per rule one series, a point per knob setting (x: tokens/s over plain
     * decoding, y: the target's mean log-likelihood per output token), PNG.
     */
    private static void chart(Map<String, List<double[]>> pareto, Path png, String subtitle) throws Exception {
        org.knowm.xchart.XYChart c = new org.knowm.xchart.XYChartBuilder().width(720).height(480)
                .title(subtitle).xAxisTitle("x vs plain decoding")
                .yAxisTitle("target log-likelihood per token").build();
        c.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(10);
        for (Map.Entry<String, List<double[]>> e : pareto.entrySet()) {
            double[] xs = new double[e.getValue().size()];
            double[] ys = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = e.getValue().get(i)[0];
                ys[i] = e.getValue().get(i)[1];
            }
            c.addSeries(e.getKey(), xs, ys);
        }
        Path abs = png.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        org.knowm.xchart.BitmapEncoder.saveBitmap(c, abs.toString().replaceFirst("\\.png$", ""),
                org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG);
        System.out.println("\nchart: " + abs);
    }

    /** Accumulated metrics of one mode. */
    private static final class Row {
        double seconds;
        long tokens;
        long rounds;
        long emitted;
        double logLik;
        long sameAsGreedy;
        final Set<Long> bigrams = new HashSet<>();
        long bigramCount;
    }

    /** The most tokens an r2r mode drafts before the target runs anyway (generate's default). */
    private static final int R2R_CHUNK = 16;

    /** The reference row: plain decoding at the run's temperature (greedy when 0). */
    private static final String PLAIN = "plain decoding (AR)";

    private static void run(LlamaModel m, LlamaModel d, LoadedModel target, LatentNeighbours neighbours,
            io.specdec.verify.JudgeHead judge, io.specdec.verify.JudgeHead router, String prompt, int seed, int tokens, float temperature, int k,
            List<String> modes, Map<String, Row> rows, int[] greedy) {
        SamplingConfig s = temperature == 0 ? SamplingConfig.GREEDY
                : SamplingConfig.builder().optTemperature(temperature).optSeed(1000L + seed).build();
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false).optSampling(s)
                .build();
        GenerationResult plain = AutoregressiveGenerator.builder().setModel(m).setTokenizer(target.tokenizer())
                .optConfig(cfg).build().generate(prompt);
        record(m, rows == null ? null : rows.get(PLAIN), plain, greedy);
        for (String mode : modes) {
            SpeculativeDecoder.Builder b = Speculation.decoder(m, target.tokenizer(),
                    DraftModelDrafter.builder().setModel(d).build(), cfg)
                    .optControllerFactory(() -> LengthControllers.fixed(k)).optMaxDraft(Math.max(16, k));
            AcceptancePolicy p = policy(mode, neighbours, judge, router, s.isGreedy());
            if (p != null) {
                b.optLossyPolicy(p);
            }
            if (p instanceof io.specdec.verify.RouterAcceptance routing) {
                var rule = routing.stopRule(R2R_CHUNK); // R2R: the router decides where drafting stops
                b.optControllerFactory(() -> rule).optMaxDraft(R2R_CHUNK);
            }
            record(m, rows == null ? null : rows.get(mode), b.build().generate(prompt), greedy);
        }
    }

    /** The lossy policy of a mode ({@code lossless} → null: the decoder's own). */
    static AcceptancePolicy policy(String mode, LatentNeighbours neighbours, io.specdec.verify.JudgeHead judge,
            io.specdec.verify.JudgeHead router, boolean greedy) {
        String[] kv = mode.split(":");
        return switch (kv[0]) {
            case "lossless" -> null;
            case "typical" -> new TypicalAcceptance(Float.parseFloat(kv[1]), 0.3f, greedy);
            case "judge" -> {
                if (judge == null) {
                    throw new IllegalArgumentException("mode " + mode + " needs judge=FILE (train-judge)");
                }
                yield new io.specdec.verify.JudgeAcceptance(judge, Double.parseDouble(kv[1]));
            }
            case "r2r" -> {
                if (router == null) {
                    throw new IllegalArgumentException("mode " + mode + " needs router=FILE (train-judge --draft-features)");
                }
                yield new io.specdec.verify.RouterAcceptance(router, Double.parseDouble(kv[1]));
            }
            case "lantern" -> new LanternAcceptance(neighbours, Float.parseFloat(kv[1]));
            default -> throw new IllegalArgumentException("mode '" + mode + "': expected lossless, typical:EPS,"
                    + " judge:THRESHOLD or lantern:DELTA");
        };
    }

    private static void record(LlamaModel m, Row r, GenerationResult g, int[] greedy) {
        if (r == null) {
            return;
        }
        int[] out = g.ids();
        r.seconds += g.stats().totalSeconds();
        r.tokens += out.length;
        if (g.speculation() != null) {
            r.rounds += g.speculation().rounds();
            r.emitted += g.speculation().emitted();
        }
        int[] all = new int[g.promptIds().length + out.length];
        System.arraycopy(g.promptIds(), 0, all, 0, g.promptIds().length);
        System.arraycopy(out, 0, all, g.promptIds().length, out.length);
        try (KvCache c = m.newCache(all.length); ForwardResult f = m.forward(c, all, ForwardOptions.DEFAULT)) {
            int p0 = g.promptIds().length;
            for (int i = 0; i < out.length; i++) {
                r.logLik += io.specdec.sampling.Distributions.logProb(f.row(p0 - 1 + i), out[i]);
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (greedy != null && i < greedy.length && greedy[i] == out[i]) {
                r.sameAsGreedy++;
            }
            if (i > 0) {
                r.bigrams.add((long) out[i - 1] << 32 | out[i]);
                r.bigramCount++;
            }
        }
    }
}
