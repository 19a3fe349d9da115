package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.demo.DemoModels;
import io.specdec.drafters.specdecpp.AcceptanceExamples;
import io.specdec.drafters.specdecpp.AcceptanceHead;
import io.specdec.drafters.specdecpp.AcceptanceHeadTrainer;
import io.specdec.drafters.specdecpp.Metrics;
import io.specdec.generate.GenerationConfig;
import io.specdec.cli.suite.BenchPaths;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train-acceptance-head --drafter NAME [its options] --prompts FILE --out FILE.gguf}: trains the SpecDec++
 * acceptance head for a drafter. Examples are recorded in the decode loop with that drafter on the target
 * ({@link AcceptanceExamples}: every drafted node of rounds of {@code --record-k} nodes, labelled exactly from the
 * target's distribution at each temperature of {@code --temperatures}), then the head is trained on them
 * ({@link AcceptanceHeadTrainer}) and measured on held-out prompts: BCE, the AUC of the rejection prediction,
 * calibration in 10 bins (PNG with {@code --reliability}) and acceptance by depth. Default target: the embedded demo
 * with its distilled draft.
 */
@Command(name = "train-acceptance-head", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train the SpecDec++ acceptance-prediction head for a drafter, on rounds recorded in the decode"
                + " loop.")
final class TrainAcceptanceHeadCommand extends Subcommand {
    @Mixin
    DrafterCli drafting = new DrafterCli();
    @Option(names = "--model", paramLabel = "PATH", description = "the target; default: the embedded demo story model"
            + " (and its distilled draft for draft-model)")
    Path model;
    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "training prompts, one per line")
    Path prompts;
    @Option(names = "--eval-prompts", paramLabel = "FILE", description = "held-out prompts; default: the last fifth of"
            + " --prompts")
    Path evalPrompts;
    @Option(names = "--temperatures", split = ",", paramLabel = "T", description = "temperatures to record at (0 ="
            + " greedy; the head takes the temperature as an input); default 0,0.7")
    List<Float> temperatures = List.of(0f, 0.7f);
    @Option(names = "--max-new-tokens", paramLabel = "N", description = "tokens generated per prompt and temperature;"
            + " default 128")
    int maxNewTokens = 128;
    @Option(names = "--record-k", paramLabel = "N", description = "nodes drafted per recorded round (1..64); default 8")
    int recordK = 8;
    @Option(names = "--width", paramLabel = "N", description = "hidden width of the head (1..4096); default 64")
    int width = 64;
    @Option(names = "--blocks", paramLabel = "N", description = "residual blocks (0..16); default 2")
    int blocks = 2;
    @Option(names = "--steps", paramLabel = "N", description = "optimisation steps (1..10,000,000); default 3000")
    int steps = 3000;
    @Option(names = "--batch", paramLabel = "N", description = "examples per step (1..65,536); default 64")
    int batch = 64;
    @Option(names = "--lr", paramLabel = "LR", description = "peak learning rate; default 0.003")
    float lr = 3e-3f;
    @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW weight decay; default 0.01")
    float weightDecay = 0.01f;
    @Option(names = "--seed", paramLabel = "N", description = "seed of initialisation, sampling and batches; default 1")
    long seed = 1;
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "where the head is written")
    Path out;
    @Option(names = "--reliability", paramLabel = "FILE.png", description = "write the reliability diagram here")
    Path reliability;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        bound(cl, "--max-new-tokens", maxNewTokens, 1, 1 << 20);
        bound(cl, "--record-k", recordK, 1, 64);
        bound(cl, "--width", width, 1, 4096);
        bound(cl, "--blocks", blocks, 0, 16);
        bound(cl, "--steps", steps, 1, 10_000_000);
        bound(cl, "--batch", batch, 1, 65_536);
        if (!(lr > 0) || !Float.isFinite(lr) || lr > 10) {
            throw new CommandLine.ParameterException(cl, "--lr must be in (0, 10], found " + lr);
        }
        if (!(weightDecay >= 0) || weightDecay > 10) {
            throw new CommandLine.ParameterException(cl, "--weight-decay must be in [0, 10], found " + weightDecay);
        }
        if (temperatures.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--temperatures needs at least one value");
        }
        for (float t : temperatures) {
            if (!(t == 0 || t >= SamplingConfig.MIN_TEMPERATURE && t <= 100)) {
                throw new CommandLine.ParameterException(cl, "--temperatures: each must be 0 or in ["
                        + SamplingConfig.MIN_TEMPERATURE + ", 100], found " + t);
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        if (Files.isDirectory(out) || parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new CommandLine.ParameterException(cl, "--out " + out + ": not a writable file path (the directory"
                    + " must exist)");
        }
        if (reliability != null && !reliability.toString().endsWith(".png")) {
            throw new CommandLine.ParameterException(cl, "--reliability must name a .png file, found " + reliability);
        }
        configure();
        if (model == null) {
            model = DemoModels.target();
            if ((drafting.drafters == null || drafting.drafters.contains("draft-model"))
                    && !drafting.values.containsKey("draft-model")) {
                drafting.values.put("draft-model", DemoModels.draft().toString());
            }
            err().println("[no --model: the embedded demo story model (docs/DEMO.md)]");
        }
        List<String> names = drafting.chosen(cl);
        if (names.size() != 1) {
            throw new CommandLine.ParameterException(cl, "train-acceptance-head trains for one drafter: give"
                    + " --drafter NAME (or --draft-model PATH)");
        }
        if (drafting.controller != null) {
            throw new CommandLine.ParameterException(cl, "--controller does not apply: examples are recorded with"
                    + " --record-k nodes per round");
        }
        LoadedModel lm = Progress.load(model, err());
        List<int[]> train = TrainDraftCommand.prompts(prompts, lm);
        List<int[]> held;
        if (evalPrompts != null) {
            held = TrainDraftCommand.prompts(evalPrompts, lm);
        } else {
            if (train.size() < 2) {
                throw new IllegalArgumentException(prompts + ": one prompt cannot be split into training and held-out"
                        + " prompts; give --eval-prompts FILE");
            }
            int cut = Math.max(1, train.size() * 4 / 5);
            held = train.subList(cut, train.size());
            train = train.subList(0, cut);
        }
        try (LlamaModel m = lm.newModel()) {
            List<DrafterSetup> setups = drafting.setups(cl, names, m, lm.tokenizer(), List.of("Once upon a time"),
                    BenchPaths.cache(), err());
            DrafterSetup setup = setups.get(0);
            try {
                if (setup.featureWidth() == 0) {
                    throw new IllegalArgumentException("drafter " + setup.name() + " gives no per-token features: "
                            + "SpecDec++ needs draft-model, eagle, hydra or medusa");
                }
                List<AcceptanceExamples.Example> tr = record(m, lm, setup, train, "recording (train)");
                List<AcceptanceExamples.Example> va = record(m, lm, setup, held, "recording (held-out)");
                out().printf(Locale.ROOT, "examples: %,d train, %,d held-out (drafter %s, %s; %d features + %d scalars;"
                        + " temperatures %s); held-out mean acceptance %.3f%n", tr.size(), va.size(), setup.name(),
                        setup.shape(), setup.featureWidth(), io.specdec.drafters.specdecpp.AcceptanceFeatures.SCALARS,
                        temperatures, va.stream().mapToDouble(AcceptanceExamples.Example::label).average()
                                .orElse(Double.NaN));
                AcceptanceHead init = AcceptanceHead.init(setup.name(), setup.featureWidth(), width, blocks, seed);
                long t0 = System.nanoTime();
                AcceptanceHeadTrainer.Result r;
                try (Progress p = Progress.start(err(), "training", steps, "step")) {
                    r = AcceptanceHeadTrainer.train(init, tr, va, new AcceptanceHeadTrainer.Config(steps, batch, lr,
                            weightDecay, Math.max(1, steps / 20), seed), (step, bce) -> {
                                p.stepTo(step);
                                p.message(String.format(Locale.ROOT, "held-out BCE %.4f", bce));
                            });
                }
                r.head().save(out);
                out().printf(Locale.ROOT, "trained %d steps in %.1f s: held-out BCE %.4f -> %.4f (best at step %d);"
                        + " head in %s%n", steps, (System.nanoTime() - t0) / 1e9, r.initialValBce(), r.bestValBce(),
                        r.bestStep(), out);
                report(AcceptanceHeadTrainer.evaluate(r.head(), va, seed + 1));
            } finally {
                setups.forEach(DrafterSetup::close);
            }
        }
        return 0;
    }

    private static void bound(CommandLine cl, String name, long v, long lo, long hi) {
        if (v < lo || v > hi) {
            throw new CommandLine.ParameterException(cl, name + " must be in " + lo + ".." + hi + ", found " + v);
        }
    }

    /** Runs the drafter over {@code ps} at every temperature with a recording controller. */
    private List<AcceptanceExamples.Example> record(LlamaModel m, LoadedModel lm, DrafterSetup setup,
            List<int[]> ps, String label) {
        AcceptanceExamples ex = new AcceptanceExamples(setup.featureWidth());
        try (Progress p = Progress.start(err(), label, (long) ps.size() * temperatures.size(), "runs")) {
            for (float t : temperatures) {
                SamplingConfig s = t == 0 ? SamplingConfig.GREEDY
                        : SamplingConfig.builder().optTemperature(t).optSeed(seed).build();
                int ctx = lm.config().contextLength();
                for (int[] prompt : ps) {
                    int room = ctx - prompt.length - recordK - 2;
                    if (room < 1) {
                        continue;
                    }
                    GenerationConfig cfg = GenerationConfig.builder().optSampling(s)
                            .optMaxNewTokens(Math.min(maxNewTokens, room)).build();
                    SpeculativeDecoder d = Speculation.decoder(m, lm.tokenizer(), setup.factory(), cfg)
                            .optControllerFactory(ex.recorder(recordK)).optMaxDraft(Math.max(16, recordK)).build();
                    try (io.specdec.generate.Generation g = d.start(prompt)) {
                        g.result();
                    }
                    p.step();
                }
            }
        }
        List<AcceptanceExamples.Example> out = ex.examples();
        if (out.isEmpty()) {
            throw new IllegalArgumentException(label + ": no drafted tokens were recorded (prompts too long for the"
                    + " context?)");
        }
        return out;
    }

    /** Calibration in 10 bins, AUC of the rejection prediction, and the reliability PNG. */
    private void report(List<float[]> rows) throws IOException {
        int bins = 10;
        double[] sumPred = new double[bins];
        double[] sumLabel = new double[bins];
        int[] count = new int[bins];
        for (float[] r : rows) {
            int b = Math.min(bins - 1, (int) (r[0] * bins));
            sumPred[b] += r[0];
            sumLabel[b] += r[1];
            count[b]++;
        }
        out().printf("held-out calibration (%,d drafted tokens): predicted vs empirical acceptance per bin%n| bin |"
                + " tokens | mean predicted | mean empirical |%n| --- | --- | --- | --- |%n", rows.size());
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] == 0) {
                out().printf(Locale.ROOT, "| %.1f–%.1f | 0 | – | – |%n", b / 10.0, (b + 1) / 10.0);
                continue;
            }
            double mp = sumPred[b] / count[b];
            double ml = sumLabel[b] / count[b];
            ece += Math.abs(mp - ml) * count[b] / rows.size();
            xs.add(mp);
            ys.add(ml);
            out().printf(Locale.ROOT, "| %.1f–%.1f | %,d | %.3f | %.3f |%n", b / 10.0, (b + 1) / 10.0, count[b], mp,
                    ml);
        }
        double auc = Metrics.auc(rows);
        out().printf(Locale.ROOT, "expected calibration error %.4f; AUC of the rejection prediction %.4f%n", ece, auc);
        if (reliability != null) {
            XYChart c = new XYChartBuilder().width(640).height(480).title(String.format(Locale.ROOT,
                    "SpecDec++ acceptance head: reliability (ECE %.3f, AUC %.3f)", ece, auc))
                    .xAxisTitle("predicted acceptance").yAxisTitle("empirical acceptance").build();
            c.addSeries("ideal", new double[] {0, 1}, new double[] {0, 1});
            c.addSeries("head (10 bins)", xs, ys);
            Path abs = reliability.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            BitmapEncoder.saveBitmap(c, abs.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
            out().println("reliability diagram: " + reliability);
        }
    }
}
