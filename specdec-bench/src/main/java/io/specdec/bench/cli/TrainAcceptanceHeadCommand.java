package io.specdec.bench.cli;

import io.specdec.drafters.specdecpp.AcceptanceHead;
import io.specdec.drafters.specdecpp.AcceptanceHeadTrainer;
import io.specdec.io.LoadedModel;
import io.specdec.train.LlamaTrainer;
import io.specdec.train.SampleFile;
import io.specdec.train.SelfDistillation;
import io.specdec.train.TrainingData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * {@code train-acceptance-head --target PATH --draft PATH --samples FILE --out DIR}: trains the SpecDec++ acceptance
 * head for a draft model ({@link AcceptanceHeadTrainer}: the paper's soft labels, 15% target-token mixing, BCE
 * weighted 6 on rejections) and, with {@code --eval-prompts}, measures it on the target's own T = 1 continuations of
 * those held-out prompts: predicted against empirical acceptance in 10 bins (also as a PNG reliability diagram with
 * {@code --reliability}) and the AUC of the rejection prediction.
 */
@Command(name = "train-acceptance-head", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train the SpecDec++ acceptance-prediction head for a draft model on the target's samples.")
final class TrainAcceptanceHeadCommand extends Subcommand {
    @Option(names = "--target", required = true, paramLabel = "PATH", description = "the target checkpoint")
    Path target;
    @Option(names = "--draft", required = true, paramLabel = "PATH", description = "the draft model the head reads")
    Path draft;
    @Option(names = "--samples", required = true, split = ",", paramLabel = "FILE", description = "the target's"
            + " sample files")
    List<Path> samples;
    @Option(names = "--blocks", paramLabel = "N", description = "residual blocks; default 3 (the paper's)")
    int blocks = 3;
    @Option(names = "--mixing", paramLabel = "P", description = "probability of keeping the target's token (label"
            + " ignored); default 0.15")
    float mixing = 0.15f;
    @Option(names = "--reject-weight", paramLabel = "W", description = "BCE weight of the rejection class; default 6")
    float rejectWeight = 6f;
    @Option(names = "--eval-prompts", paramLabel = "FILE", description = "held-out prompts for calibration and AUC")
    Path evalPrompts;
    @Option(names = "--eval-tokens", paramLabel = "N", description = "T = 1 target tokens per eval prompt; default 128")
    int evalTokens = 128;
    @Option(names = "--reliability", paramLabel = "FILE.png", description = "write the reliability diagram here")
    Path reliability;
    @Option(names = "--evaluate-only", description = "skip training: evaluate --out/best.gguf (with --eval-prompts)")
    boolean evaluateOnly;
    @Mixin
    TrainerOptions train;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        LlamaTrainer.Config cfg = train.config(cl);
        if (train.resume) {
            throw new CommandLine.ParameterException(cl, "--resume is not supported for the acceptance head");
        }
        if (blocks < 0 || blocks > 16) {
            throw new CommandLine.ParameterException(cl, "--blocks must be in 0..16, found " + blocks);
        }
        if (evaluateOnly) {
            if (evalPrompts == null) {
                throw new CommandLine.ParameterException(cl, "--evaluate-only needs --eval-prompts FILE");
            }
            configure();
            LoadedModel t = Progress.load(target, err());
            LoadedModel d = Progress.load(draft, err());
            AcceptanceHead head = AcceptanceHead.load(train.out.resolve("best.gguf"));
            head.requireDraft(d.config(), train.out.resolve("best.gguf").toString());
            AcceptanceHead h = head.withRejectWeight(head.rejectWeight() == 1f ? rejectWeight : head.rejectWeight());
            if (train.export != null) {
                h.save(train.export);
                main.out.println("exported " + train.export + " (reject weight " + h.rejectWeight() + ")");
            }
            evaluate(t, d, h);
            return 0;
        }
        if (Files.isRegularFile(train.out.resolve("trainer.gguf"))) {
            throw new IllegalArgumentException(train.out + " already holds a run (trainer.gguf): choose another --out");
        }
        configure();
        LoadedModel t = Progress.load(target, err());
        LoadedModel d = Progress.load(draft, err());
        List<SampleFile.Sample> all = new ArrayList<>();
        SampleFile.Header h = TrainDraftCommand.readSamples(samples, t, all);
        List<List<SampleFile.Sample>> split = TrainingData.split(all, train.valFraction);
        TrainingData tr = new TrainingData(split.get(0), h.vocab(), 0);
        TrainingData va = new TrainingData(split.get(1), h.vocab(), 0);
        AcceptanceHead init = AcceptanceHead.init(d.config(), blocks, train.seed);
        main.out.printf("samples: %,d sequences (%,d train positions); head: %d block(s) on the draft's width %d%n",
                all.size(), tr.tokens(), blocks, d.config().dim());
        LlamaTrainer.Result r;
        try (AcceptanceHeadTrainer trainer = new AcceptanceHeadTrainer(init, d.weights(), t.weights(), mixing,
                rejectWeight, train.seed); Progress p = Progress.start(err(), "training", cfg.steps(), "step")) {
            r = trainer.train(tr, va, cfg, train.out, TrainerOptions.progress(p));
        }
        main.out.printf("trained %d steps in %.1f s: best validation BCE %.4f at step %d; head in %s%n", r.step(),
                r.seconds(), r.bestValLoss(), r.bestStep(), train.out.resolve("best.gguf"));
        if (train.export != null) {
            Files.copy(train.out.resolve("best.gguf"), train.export, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (evalPrompts != null) {
            evaluate(t, d, AcceptanceHead.load(train.out.resolve("best.gguf")));
        }
        return 0;
    }

    private void evaluate(LoadedModel t, LoadedModel d, AcceptanceHead head) throws IOException {
        List<int[]> prompts = TrainDraftCommand.prompts(evalPrompts, t);
        Path tmp = Files.createTempFile("specdec-eval", ".bin");
        try {
            Files.delete(tmp);
            SelfDistillation.builder().setWeights(t.weights()).setPrompts(prompts).setSequences(prompts.size())
                    .optTemperature(1f).optMaxNewTokens(evalTokens).optSeed(77).build().run(tmp, null);
            List<SampleFile.Sample> held = SampleFile.read(tmp);
            TrainingData data = new TrainingData(held, t.config().vocabSize(), 0);
            List<float[]> rows = new ArrayList<>();
            try (AcceptanceHeadTrainer e = new AcceptanceHeadTrainer(head, d.weights(), t.weights(), mixing,
                    rejectWeight, 1)) {
                for (int i = 0; i < held.size(); i += 8) {
                    TrainingData.Batch b = data.batch(91, i, 8, Math.min(evalTokens, t.config().contextLength() - 1));
                    rows.addAll(Arrays.asList(e.evaluate(b, 1000 + i)));
                }
            }
            report(rows);
        } finally {
            Files.deleteIfExists(tmp);
        }
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
        main.out.printf("held-out calibration (%,d drafted positions): predicted vs empirical acceptance (soft label"
                + " min(1, p/q)) per bin%n| bin | positions | mean predicted | mean empirical |%n| --- | --- | --- | ---"
                + " |%n", rows.size());
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] == 0) {
                main.out.printf(Locale.ROOT, "| %.1f–%.1f | 0 | – | – |%n", b / 10.0, (b + 1) / 10.0);
                continue;
            }
            double mp = sumPred[b] / count[b];
            double ml = sumLabel[b] / count[b];
            ece += Math.abs(mp - ml) * count[b] / rows.size();
            xs.add(mp);
            ys.add(ml);
            main.out.printf(Locale.ROOT, "| %.1f–%.1f | %,d | %.3f | %.3f |%n", b / 10.0, (b + 1) / 10.0, count[b], mp,
                    ml);
        }
        double auc = io.specdec.drafters.specdecpp.Metrics.auc(rows);
        main.out.printf(Locale.ROOT, "expected calibration error %.4f; AUC of the rejection prediction (1 - predicted"
                + " vs a sampled reject, u >= min(1, p/q)) %.4f%n", ece, auc);
        if (reliability != null) {
            XYChart c = new XYChartBuilder().width(640).height(480).title(String.format(Locale.ROOT,
                    "SpecDec++ acceptance head: reliability (ECE %.3f, AUC %.3f)", ece, auc))
                    .xAxisTitle("predicted acceptance").yAxisTitle("empirical acceptance").build();
            c.addSeries("ideal", new double[] {0, 1}, new double[] {0, 1});
            c.addSeries("head (10 bins)", xs, ys);
            Path abs = reliability.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            BitmapEncoder.saveBitmap(c, abs.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
            main.out.println("reliability diagram: " + reliability);
        }
    }
}
