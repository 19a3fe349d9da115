package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.drafters.heads.DraftHeads;
import io.specdec.drafters.heads.HeadArchitecture;
import io.specdec.drafters.heads.HeadArchitectures;
import io.specdec.drafters.heads.HeadSizing;
import io.specdec.drafters.heads.HeadTrainer;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.train.LlamaTrainer;
import io.specdec.train.SampleFile;
import io.specdec.train.TrainingData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train-heads --kind NAME --target PATH --samples FILE --out DIR} (and {@code train-<kind>} for every
 * registered head family, {@link HeadArchitectures}): trains draft heads on the target's own samples with the library's trainer ({@link HeadTrainer}; the target frozen, its hidden states
 * recomputed per batch), writes heads files ({@code best.gguf}, {@code last.gguf}) and, with {@code --eval-prompts},
 * reports per-depth teacher-forced top-1 / top-5 accuracy on the target's greedy continuations of those held-out
 * prompts.
 */
@Command(name = "train-heads", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train draft heads of a registered family (--kind: ${specdec.cli.heads}) for a target on its"
                + " samples (see: sample).")
final class TrainHeadsCommand extends Subcommand {
    /** The family a {@code train-<kind>} command is fixed to; null for {@code train-heads}. */
    private final HeadArchitecture fixed;

    @Option(names = "--kind", paramLabel = "NAME", description = "the head family: ${specdec.cli.heads}"
            + " (train-<kind> sets it)")
    String kindName;
    @Option(names = "--target", paramLabel = "PATH", description = "the target checkpoint; default: the embedded"
            + " demo story model (docs/DEMO.md)")
    Path target;
    @Option(names = "--samples", required = true, split = ",", paramLabel = "FILE", description = "the target's"
            + " sample files (comma-separated or repeated)")
    List<Path> samples;
    @Option(names = "--heads", paramLabel = "N", description = "heads (future positions; Medusa/Hydra); default 4")
    int count = 4;
    @Option(names = "--blocks", paramLabel = "N", description = "residual blocks per head (Medusa/Hydra; Hydra++:"
            + " more); default 1")
    int blocks = 1;
    @Option(names = "--decay", paramLabel = "L", description = "per-head loss weight decay lambda^k; default 0.8")
    float decay = 0.8f;
    @Option(names = "--teacher-weight", paramLabel = "A", description = "weight of the target-distribution loss"
            + " against the data loss, 0..1 (Hydra++: 1); default 0 (Medusa, Hydra), 1 (EAGLE, Clover)")
    Float teacherWeight;
    @Option(names = "--cls-weight", paramLabel = "W", description = "EAGLE: token-loss weight beside the feature"
            + " regression; default 0.1")
    float clsWeight = 0.1f;
    @Option(names = "--noise", paramLabel = "F", description = "EAGLE: uniform input-feature noise, fraction of the"
            + " features' RMS; default 0.1")
    float noise = 0.1f;
    @Option(names = "--init-layer", paramLabel = "N", description = "EAGLE: the target layer (0-based) the decoder"
            + " layer starts from; default the last")
    Integer initLayer;
    @Option(names = "--eval-prompts", paramLabel = "FILE", description = "held-out prompts for the per-depth"
            + " accuracy report")
    Path evalPrompts;
    @Option(names = "--eval-tokens", paramLabel = "N", description = "greedy tokens per eval prompt; default 64")
    int evalTokens = 64;
    @Mixin
    TrainerOptions train;

    TrainHeadsCommand() {
        this(null);
    }

    TrainHeadsCommand(HeadArchitecture fixed) {
        this.fixed = fixed;
    }

    /** {@code train-<kind>} for every registered head family, added to {@code root}. */
    static void registerFamilies(CommandLine root) {
        for (HeadArchitecture a : HeadArchitectures.all()) {
            CommandLine c = new CommandLine(new TrainHeadsCommand(a)).setCommandName("train-" + a.id());
            c.getCommandSpec().usageMessage().description("Train " + a.id() + " heads for a target on its samples: "
                    + a.description() + ".");
            root.addSubcommand("train-" + a.id(), c);
        }
    }

    private HeadArchitecture kind() {
        if (fixed != null) {
            if (kindName != null && !kindName.equals(fixed.id())) {
                throw new CommandLine.ParameterException(cl(), "--kind " + kindName + " contradicts train-"
                        + fixed.id());
            }
            return fixed;
        }
        if (kindName == null) {
            throw new CommandLine.ParameterException(cl(), "--kind is required (" + String.join(", ",
                    HeadArchitectures.all().stream().map(HeadArchitecture::id).toList()) + ")");
        }
        try {
            return HeadArchitectures.of(kindName);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl(), "--kind: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        HeadArchitecture kind = kind();
        LlamaTrainer.Config cfg = train.config(cl);
        if (train.resume) {
            throw new CommandLine.ParameterException(cl, "--resume is not supported for heads (train again; a run"
                    + " takes minutes)");
        }
        if (count < 1 || count > 16 || blocks < 1 || blocks > 8) {
            throw new CommandLine.ParameterException(cl, "--heads must be in 1..16 and --blocks in 1..8, found "
                    + count + ", " + blocks);
        }
        HeadTrainer.Loss loss;
        try {
            HeadTrainer.Loss d = HeadTrainer.Loss.defaults(kind);
            loss = new HeadTrainer.Loss(kind.fixedCount() == 1 ? d.decay() : decay,
                    teacherWeight == null ? d.teacherWeight() : teacherWeight, clsWeight, noise, train.seed);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        if (Files.isRegularFile(train.out.resolve("trainer.gguf"))) {
            throw new IllegalArgumentException(train.out + " already holds a run (trainer.gguf): choose another --out");
        }
        if (evalTokens < 1 || evalTokens > 1 << 20) {
            throw new CommandLine.ParameterException(cl(), "--eval-tokens must be in 1..1048576, found " + evalTokens);
        }
        if (evalPrompts != null && Subcommand.textLines(evalPrompts).stream().allMatch(String::isBlank)) {
            throw new CommandLine.ParameterException(cl(), "--eval-prompts " + evalPrompts + ": no prompts (every line"
                    + " is blank; checked before training)");
        }
        configure();
        if (target == null) {
            target = io.specdec.demo.DemoModels.target();
            err().println("[no --target: the embedded demo story model (docs/DEMO.md)]");
        }
        LoadedModel lm = Progress.load(target, err());
        List<SampleFile.Sample> all = new ArrayList<>();
        SampleFile.Header h = TrainDraftCommand.readSamples(samples, lm, all);
        List<List<SampleFile.Sample>> split = TrainingData.split(all, train.valFraction);
        TrainingData tr = new TrainingData(split.get(0), h.vocab(), 0);
        TrainingData va = new TrainingData(split.get(1), h.vocab(), 0);
        main.out.printf("samples: %,d sequences (%,d train positions, %,d validation)%n", all.size(), tr.tokens(),
                va.tokens());
        DraftHeads init = DraftHeads.init(kind, lm.weights(), count, blocks,
                initLayer == null ? lm.config().layers() - 1 : initLayer, train.seed);
        main.out.printf("%s heads: %d x %d block(s), %,d parameters; loss %s%n", kind.id(), init.count(),
                init.blocks(), init.parameterCount(), loss);
        LlamaTrainer.Result r;
        try (HeadTrainer t = new HeadTrainer(init, lm.weights(), loss);
                Progress p = Progress.start(err(), "training", cfg.steps(), "step")) {
            r = t.train(tr, va, cfg, train.out, TrainerOptions.progress(p));
        }
        main.out.printf("trained %d steps in %.1f s (%,.0f tokens/s): best validation CE %.4f at step %d%s; heads in"
                + " %s%n", r.step(), r.seconds(), r.tokens() / Math.max(1e-9, r.seconds()), r.bestValLoss(),
                r.bestStep(), r.stoppedEarly() ? " (stopped early)" : "", train.out.resolve("best.gguf"));
        if (train.export != null) {
            Files.createDirectories(train.export.toAbsolutePath().getParent());
            Files.copy(train.out.resolve("best.gguf"), train.export, StandardCopyOption.REPLACE_EXISTING);
            main.out.printf("exported %s (%,d bytes)%n", train.export, Files.size(train.export));
        }
        if (evalPrompts != null) {
            List<String> prompts = new ArrayList<>();
            for (String line : Subcommand.textLines(evalPrompts)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
            DraftHeads best = DraftHeads.load(train.out.resolve("best.gguf"));
            try (LlamaModel t = lm.newModel()) {
                HeadSizing.Result a = HeadSizing.teacherForced(t, lm.tokenizer(), best, prompts, evalTokens,
                        kind.evalDepth(best));
                main.out.printf("held-out accuracy (%d prompts x %d greedy tokens, teacher-forced): %s%n",
                        prompts.size(), evalTokens, a.accuracy());
            }
        }
        return 0;
    }
}
