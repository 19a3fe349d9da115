package io.specdec.cli.suite;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.Distributions;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.Tokenizer;
import io.specdec.verify.JudgeHead;
import io.specdec.verify.LatentNeighbours;
import io.specdec.verify.LossyPolicies;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * The quality harness of the lossy acceptance rules (issue 27; used by {@code bench --suite} and the bench main
 * {@code io.specdec.bench.lossy.LossyQuality}): per prompt (the same seed for every mode) plain decoding, then each
 * mode back to back — {@code lossless} (the decoder's own rule), {@code typical:EPS}, {@code lantern:DELTA},
 * {@code judge:THRESHOLD}, {@code r2r:THRESHOLD} — with the draft model drafting a chain of {@code k} tokens (r2r: its
 * router stops the chain, at most {@link #R2R_CHUNK}). Per mode: tokens/s (and x vs plain decoding), τ, the target's
 * mean log-likelihood per output token (teacher-forced at temperature 1) and the perplexity it implies, the share of
 * output tokens equal to greedy decoding's at the same position, and distinct-2 over all outputs. Not thread-safe.
 */
public final class QualityHarness {
    private QualityHarness() {}

    /** The reference row's name: plain decoding at the run's temperature (greedy when 0). */
    public static final String PLAIN = "plain decoding (AR)";
    /** The most tokens an r2r mode drafts before the target runs anyway ({@code generate}'s default). */
    public static final int R2R_CHUNK = 16;

    /**
     * What the modes need besides the two models; a null head is only an error for a mode that asks for it.
     *
     * @param neighbours LANTERN's latent neighbourhoods (null: no lantern modes)
     * @param judge Judge Decoding's head on the target's hidden states (null: no judge modes)
     * @param router R2R's router on the draft's signals (null: no r2r modes)
     */
    public record Heads(LatentNeighbours neighbours, JudgeHead judge, JudgeHead router) {}

    /**
     * One mode's figures.
     *
     * @param tokensPerSecond generated tokens per wall second, prefill included
     * @param speedup tokens/s over plain decoding's in the same run
     * @param tau tokens per target forward (1 for plain decoding)
     * @param logLikPerToken the target's mean log-likelihood per output token (nats)
     * @param perplexity {@code exp(-logLikPerToken)}
     * @param sameAsGreedy share of output tokens equal to greedy decoding's at the same position
     * @param distinct2 distinct bigrams over all bigrams of the outputs
     */
    public record Metrics(double tokensPerSecond, double speedup, double tau, double logLikPerToken,
            double perplexity, double sameAsGreedy, double distinct2) {}

    /** Accumulates one mode over the prompts. */
    private static final class Row {
        double seconds;
        long tokens;
        long rounds;
        long emitted;
        double logLik;
        long sameAsGreedy;
        final Set<Long> bigrams = new HashSet<>();
        long bigramCount;

        Metrics metrics(Row base) {
            double tps = tokens / seconds;
            double ll = logLik / tokens;
            return new Metrics(tps, tps / (base.tokens / base.seconds), rounds == 0 ? 1 : (double) emitted / rounds,
                    ll, Math.exp(-ll), (double) sameAsGreedy / tokens,
                    bigramCount == 0 ? 0 : (double) bigrams.size() / bigramCount);
        }
    }

    /**
     * Runs every mode on every prompt after {@code warmup} untimed prompts (taken from the start of the list).
     *
     * @param temperature 0 for greedy decoding, else the sampling temperature (seed 1000 + prompt index)
     * @param progress told the number of prompts done (may be null)
     * @return {@link #PLAIN} then each mode, in order
     * @throws IllegalArgumentException naming a mode that is unknown or lacks its head
     */
    public static Map<String, Metrics> measure(LlamaModel target, LlamaModel draft, Tokenizer tokenizer,
            List<String> prompts, int warmup, int tokens, float temperature, int k, List<String> modes, Heads heads,
            IntConsumer progress) {
        for (String mode : modes) {
            policy(mode, heads, temperature == 0); // a bad mode fails before anything runs
        }
        AutoregressiveGenerator greedy = AutoregressiveGenerator.builder().setModel(target).setTokenizer(tokenizer)
                .optConfig(GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false).build()).build();
        Map<String, Row> rows = new LinkedHashMap<>();
        rows.put(PLAIN, new Row());
        modes.forEach(md -> rows.put(md, new Row()));
        for (int w = 0; w < Math.min(warmup, prompts.size()); w++) {
            run(target, draft, tokenizer, heads, prompts.get(w), w, tokens, temperature, k, modes, null, null);
        }
        for (int i = 0; i < prompts.size(); i++) {
            int[] g = greedy.generate(prompts.get(i)).ids();
            run(target, draft, tokenizer, heads, prompts.get(i), i, tokens, temperature, k, modes, rows, g);
            if (progress != null) {
                progress.accept(i + 1);
            }
        }
        Row base = rows.get(PLAIN);
        Map<String, Metrics> out = new LinkedHashMap<>();
        rows.forEach((name, r) -> out.put(name, r.metrics(base)));
        return out;
    }

    /** The figures as a Markdown table (one row per mode). */
    public static String table(Map<String, Metrics> rows) {
        StringBuilder sb = new StringBuilder("| mode | tokens/s | x vs plain decoding | τ | target log-lik/token |"
                + " target perplexity | same token as greedy | distinct-2 |\n| --- | ---: | ---: | ---: | ---: | ---: |"
                + " ---: | ---: |\n");
        rows.forEach((name, m) -> sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.2f | %.3f | %.2f |"
                + " %.3f | %.3f |%n", name, m.tokensPerSecond(), m.speedup(), m.tau(), m.logLikPerToken(),
                m.perplexity(), m.sameAsGreedy(), m.distinct2())));
        return sb.toString();
    }

    /**
     * The speed × quality (Pareto) chart, PNG: one series per rule (the mode's name before ':'), a point per knob
     * setting; x: speed over plain decoding, y: the target's mean log-likelihood per output token.
     */
    public static void chart(Map<String, Metrics> rows, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        org.knowm.xchart.XYChart c = new org.knowm.xchart.XYChartBuilder().width(720).height(480).title(title)
                .xAxisTitle("x vs plain decoding").yAxisTitle("target log-likelihood per token").build();
        c.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(10);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        rows.forEach((name, m) -> series.computeIfAbsent(name.split(":")[0], x -> new ArrayList<>())
                .add(new double[] {m.speedup(), m.logLikPerToken()}));
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            double[] xs = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] ys = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            c.addSeries(e.getKey(), xs, ys);
        }
        Path abs = png.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        org.knowm.xchart.BitmapEncoder.saveBitmap(c, abs.toString().replaceFirst("\\.png$", ""),
                org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * The lossy policy of a mode ({@code lossless} → null: the decoder's own rule).
     *
     * @throws IllegalArgumentException for an unknown mode, a missing knob or head, or a rule that does not apply to
     *     the decoding
     */
    public static AcceptancePolicy policy(String mode, Heads heads, boolean greedy) {
        if (mode.equals("lossless")) {
            return null;
        }
        if (!mode.contains(":")) {
            throw new IllegalArgumentException("mode '" + mode + "': expected lossless or NAME:KNOB (typical:0.09,"
                    + " lantern:0.15, judge:0.5, r2r:0.5)");
        }
        LossyPolicies.Spec spec = LossyPolicies.Spec.parse(mode);
        try {
            return LossyPolicies.create(spec, greedy ? SamplingConfig.GREEDY
                    : SamplingConfig.builder().optTemperature(1f).build(), heads.neighbours(),
                    spec.name().equals("judge") ? heads.judge() : heads.router());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode " + mode + ": " + e.getMessage(), e);
        }
    }

    private static void run(LlamaModel m, LlamaModel d, Tokenizer tokenizer, Heads heads, String prompt, int seed,
            int tokens, float temperature, int k, List<String> modes, Map<String, Row> rows, int[] greedy) {
        SamplingConfig s = temperature == 0 ? SamplingConfig.GREEDY
                : SamplingConfig.builder().optTemperature(temperature).optSeed(1000L + seed).build();
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false).optSampling(s)
                .build();
        GenerationResult plain = AutoregressiveGenerator.builder().setModel(m).setTokenizer(tokenizer)
                .optConfig(cfg).build().generate(prompt);
        record(m, rows == null ? null : rows.get(PLAIN), plain, greedy);
        for (String mode : modes) {
            SpeculativeDecoder.Builder b = Speculation.decoder(m, tokenizer,
                    DraftModelDrafter.builder().setModel(d).build(), cfg)
                    .optControllerFactory(() -> LengthControllers.fixed(k)).optMaxDraft(Math.max(R2R_CHUNK, k));
            AcceptancePolicy p = policy(mode, heads, s.isGreedy());
            if (p != null) {
                b.optLossyPolicy(p);
            }
            record(m, rows == null ? null : rows.get(mode), b.build().generate(prompt), greedy);
        }
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
                r.logLik += Distributions.logProb(f.row(p0 - 1 + i), out[i]);
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
