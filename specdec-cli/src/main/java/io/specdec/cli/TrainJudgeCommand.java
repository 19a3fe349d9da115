package io.specdec.cli;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.cli.progress.Progress;
import io.specdec.drafters.judge.JudgeTrainer;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.tokenizer.Vocabularies;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train-judge --target PATH --draft PATH --prompts FILE --out FILE.json [--tokens 64] [--horizon 8]
 * [--margin 0.1] [--epochs 300]}: the judge head of Judge Decoding ({@link JudgeTrainer}) for one target and draft,
 * used by {@code generate --lossy judge[:THRESHOLD] --judge FILE}.
 */
@Command(name = "train-judge", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train Judge Decoding's judge head (lossy opt-in, see generate --lossy judge) from the target's"
                + " own continuations where the draft disagrees with it.")
final class TrainJudgeCommand extends Subcommand {
    @Option(names = "--target", required = true, paramLabel = "PATH", description = "the target checkpoint")
    Path target;
    @Option(names = "--draft", required = true, paramLabel = "PATH", description = "the draft model it will judge")
    Path draft;
    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "training prompts, one per line"
            + " (keep evaluation prompts out)")
    Path prompts;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the judge head (JSON)")
    Path out;
    @Option(names = "--tokens", paramLabel = "N", description = "greedy positions per prompt; default 64")
    int tokens = 64;
    @Option(names = "--horizon", paramLabel = "N", description = "tokens of each branch compared; default 8")
    int horizon = 8;
    @Option(names = "--margin", paramLabel = "NATS", description = "a drafted token is acceptable when its branch's"
            + " mean log-likelihood per token is within this of the target's own; default 0.1")
    double margin = 0.1;
    @Option(names = "--draft-features", description = "train R2R's router instead (on the draft's own hidden state"
            + " and confidence signals of every token it drafts, agreeing ones labelled acceptable; for generate"
            + " --lossy r2r --router FILE)")
    boolean draftFeatures;
    @Option(names = "--epochs", paramLabel = "N", description = "full-batch Adam steps; default 300")
    int epochs = 300;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        if (tokens < 1 || tokens > 1 << 16) {
            throw new CommandLine.ParameterException(cl, "--tokens must be in 1..65536, found " + tokens);
        }
        if (horizon < 1 || horizon > 256) {
            throw new CommandLine.ParameterException(cl, "--horizon must be in 1..256, found " + horizon);
        }
        if (!(margin >= 0 && margin < 100)) {
            throw new CommandLine.ParameterException(cl, "--margin must be in [0, 100), found " + margin);
        }
        if (epochs < 1 || epochs > 1_000_000) {
            throw new CommandLine.ParameterException(cl, "--epochs must be in 1..1000000, found " + epochs);
        }
        configure();
        LoadedModel t = Progress.load(target, err());
        LoadedModel d = Progress.load(draft, err());
        Vocabularies.requireSame(t.tokenizer(), d.tokenizer());
        List<int[]> ps = TrainDraftCommand.prompts(prompts, t);
        long t0 = System.nanoTime();
        List<JudgeTrainer.Example> ex;
        try (LlamaModel tm = t.newModel(); LlamaModel dm = new LlamaModel(DraftModelDrafter.forContext(d.weights(),
                t.config().contextLength(), draft.getFileName().toString()))) {
            ex = JudgeTrainer.examples(tm, dm, ps, tokens, horizon, margin, draftFeatures);
        }
        double dataSeconds = (System.nanoTime() - t0) / 1e9;
        JudgeTrainer.Result r = JudgeTrainer.fit(ex, (draftFeatures ? "router of " + draft.getFileName() + " for "
                : "") + target.getFileName(), epochs, 1e-3, 7);
        r.head().save(out);
        main.out.printf((draftFeatures ? "router: %,d examples (every drafted position)" : "judge: %,d examples (draft and"
                + " target disagree)") + " from %d prompts in %.1f s, %d acceptable"
                + " (%.1f%%); train accuracy %.3f; held-out fifth: accuracy %.3f, precision %.3f, recall %.3f;"
                + " written to %s%n", r.examples(), ps.size(), dataSeconds, r.positives(),
                100.0 * r.positives() / r.examples(), r.trainAccuracy(), r.heldOutAccuracy(), r.heldOutPrecision(),
                r.heldOutRecall(), out);
        return 0;
    }
}
