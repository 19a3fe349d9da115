package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.train.DraftModels;
import io.specdec.train.SampleFile;
import io.specdec.train.TrainableLlama;
import io.specdec.train.TrainingData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train-draft --target PATH --samples FILE --out DIR [--layers auto|N] [--max-cost-ratio R]
 * [--eval-prompts FILE]}: distils a draft model for a target from the target's own samples (next-token CE plus KL to
 * the stored top-k logits). The draft is the target's embedding, final norm and LM head with {@code N} of its
 * layers (evenly spread), then trained; {@code auto} picks the largest {@code N} whose measured decode cost c(1) is at
 * most {@code --max-cost-ratio} of the target's. Prints the cost ratio, the validation loss and, with
 * {@code --eval-prompts}, the greedy agreement with the target on those (held-out) prompts.
 */
@Command(name = "train-draft", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Distil a draft model for a target from its samples (see: sample).")
final class TrainDraftCommand extends Subcommand {
    @Option(names = "--target", paramLabel = "PATH", description = "the target checkpoint; default: the embedded"
            + " demo story model (docs/DEMO.md)")
    Path target;
    @Option(names = "--samples", required = true, split = ",", paramLabel = "FILE", description = "the target's"
            + " sample files (comma-separated or repeated; same vocabulary and top-k)")
    List<Path> samples;
    @Option(names = "--layers", paramLabel = "auto|N", description = "draft layers taken from the target; auto ="
            + " largest within --max-cost-ratio (default)")
    String layers = "auto";
    @Option(names = "--max-cost-ratio", paramLabel = "R", description = "auto: the draft's c(1) at most R times"
            + " the target's; default 0.5")
    double maxCostRatio = 0.5;
    @Option(names = "--eval-prompts", paramLabel = "FILE", description = "held-out prompts (one per line) for the"
            + " greedy-agreement report")
    Path evalPrompts;
    @Option(names = "--eval-tokens", paramLabel = "N", description = "greedy tokens per eval prompt; default 128")
    int evalTokens = 128;
    @Option(names = "--exits", split = ",", paramLabel = "N[,N...]", description = "S2D sorted fine-tuning: the draft"
            + " layer counts after which it also predicts (ascending, the last = --layers), loss summed over them, so"
            + " each layer prefix is a draft of its own (drafter s2d picks one per target); default: the last only")
    int[] exits;
    @Mixin
    TrainerOptions train;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        train.config(cl);
        if (!(maxCostRatio > 0 && maxCostRatio <= 1)) {
            throw new CommandLine.ParameterException(cl, "--max-cost-ratio must be in (0, 1], found " + maxCostRatio);
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
        if (!(lm.tokenizer() instanceof SentencePieceBpeTokenizer tok)) {
            throw new IllegalArgumentException(target + ": the draft is written as GGUF with the target's vocabulary,"
                    + " which must be a SentencePiece one");
        }
        List<SampleFile.Sample> all = new ArrayList<>();
        SampleFile.Header h = readSamples(samples, lm, all);
        List<List<SampleFile.Sample>> split = TrainingData.split(all, train.valFraction);
        TrainingData tr = new TrainingData(split.get(0), h.vocab(), h.topK());
        TrainingData va = new TrainingData(split.get(1), h.vocab(), h.topK());
        main.out.printf("samples: %,d sequences (%,d train positions, %,d validation), top-%d teacher logits%n",
                all.size(), tr.tokens(), va.tokens(), h.topK());
        int l = lm.config().layers();
        int n;
        double targetUs;
        try (LlamaModel t = lm.newModel()) {
            decodeMicros(t); // settle the JIT on the kernels first; the second measurement counts
            targetUs = decodeMicros(t);
        }
        if (layers.equals("auto")) {
            n = 1;
            for (int k = 1; k < l; k++) {
                double us = draftCost(lm.weights(), k);
                main.out.printf("  %d-layer draft: c(1) %.1f us = %.2f x the target's %.1f us%n", k, us,
                        us / targetUs, targetUs);
                if (us / targetUs <= maxCostRatio) {
                    n = k;
                }
            }
        } else {
            try {
                n = Integer.parseInt(layers);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "--layers must be auto or a number, found '" + layers
                        + "'");
            }
            if (n < 1 || n > l) {
                throw new CommandLine.ParameterException(cl, "--layers must be in 1.." + l + " (the target's layers),"
                        + " found " + n);
            }
        }
        if (exits != null) {
            for (int i = 0; i < exits.length; i++) {
                if (exits[i] < 1 || (i > 0 && exits[i] <= exits[i - 1])) {
                    throw new CommandLine.ParameterException(cl, "--exits must be ascending layer counts >= 1, found "
                            + java.util.Arrays.toString(exits));
                }
            }
            if (exits[exits.length - 1] != n) {
                throw new CommandLine.ParameterException(cl, "--exits: the last exit must be the draft's " + n
                        + " layers, found " + java.util.Arrays.toString(exits));
            }
            train.exits = exits;
        }
        int[] keep = DraftModels.spread(n, l);
        LlamaWeights init = DraftModels.fromTargetLayers(lm.weights(), keep, lm.config().contextLength());
        double draftUs = draftCost(lm.weights(), n);
        main.out.printf("draft: %d of %d layers %s, %,d parameters; c(1) %.1f us vs target %.1f us (ratio %.2f)%n",
                n, l, java.util.Arrays.toString(keep), init.config().parameterCount(), draftUs, targetUs,
                draftUs / targetUs);
        try (TrainableLlama model = TrainableLlama.of(init)) {
            train.run(cl, model, tr, va, tok, err(), main.out);
        }
        if (evalPrompts != null) {
            List<int[]> ps = prompts(evalPrompts, lm);
            LoadedModel best = ModelLoader.load(train.out.resolve("best.gguf"));
            int[] es = exits == null ? new int[] {best.config().layers()} : exits;
            try (LlamaModel t = lm.newModel()) {
                for (int e : es) {
                    try (LlamaModel d = new LlamaModel(DraftModels.exit(best.weights(), e))) {
                        DraftModels.Agreement a = DraftModels.agreement(t, d, ps, evalTokens);
                        main.out.printf("greedy agreement with the target on %d held-out prompts (%d tokens each)%s:"
                                + " %.3f (%,d positions); i.i.d. tau at K=4: %.2f; c(1) %.1f us%n", ps.size(),
                                evalTokens, exits == null ? "" : ", exit " + e, a.agreement(), a.positions(),
                                a.expectedTau(4), decodeMicros(d));
                    }
                }
            }
        }
        return 0;
    }

    private static double draftCost(LlamaWeights target, int n) {
        LlamaWeights w = DraftModels.fromTargetLayers(target, DraftModels.spread(n, target.config().layers()),
                target.config().contextLength());
        try (LlamaModel m = new LlamaModel(w)) {
            return decodeMicros(m);
        }
    }

    /**
     * Decode cost c(1) in microseconds: one-token forwards at positions 16..79, 5 passes after an untimed one; the
     * fastest pass's median (the least disturbed by other load).
     */
    static double decodeMicros(LlamaModel m) {
        int prefix = 16;
        int steps = 64;
        double best = Double.POSITIVE_INFINITY;
        try (io.specdec.model.KvCache cache = m.newCache(prefix + steps + 1)) {
            int[] pre = new int[prefix];
            for (int i = 0; i < prefix; i++) {
                pre[i] = 3 + (i * 37) % Math.max(1, m.config().vocabSize() - 3);
            }
            for (int pass = 0; pass < 6; pass++) {
                cache.truncate(0);
                m.forward(cache, pre, io.specdec.model.ForwardOptions.LAST_ROW).close();
                double[] t = new double[steps];
                for (int i = 0; i < steps; i++) {
                    long t0 = System.nanoTime();
                    io.specdec.model.ForwardResult r = m.forward(cache, new int[] {pre[i % prefix]},
                            io.specdec.model.ForwardOptions.LAST_ROW);
                    t[i] = (System.nanoTime() - t0) / 1e3;
                    r.close();
                }
                java.util.Arrays.sort(t);
                if (pass > 0) {
                    best = Math.min(best, t[steps / 2]);
                }
            }
        }
        return best;
    }

    /**
     * Reads every sample file into {@code all}, checking each against the target's vocabulary and the first file's
     * top-k; returns the last header.
     */
    static SampleFile.Header readSamples(List<Path> samples, LoadedModel lm, List<SampleFile.Sample> all)
            throws IOException {
        SampleFile.Header h = null;
        for (Path f : samples) {
            SampleFile.Header hf = SampleFile.header(f);
            if (hf.vocab() != lm.config().vocabSize()) {
                throw new IllegalArgumentException(f + ": samples of vocabulary " + hf.vocab() + ", the target has "
                        + lm.config().vocabSize() + " (samples of another model?)");
            }
            hf.requireTokenizer(f, io.specdec.tokenizer.Vocabularies.fingerprint(lm.tokenizer()),
                    "the target's tokenizer");
            if (h != null && hf.topK() != h.topK()) {
                throw new IllegalArgumentException(f + ": top-" + hf.topK() + " teacher logits, " + samples.get(0)
                        + " has top-" + h.topK() + " (sample files must agree)");
            }
            h = hf;
            all.addAll(SampleFile.read(f));
        }
        return h;
    }

    static List<int[]> prompts(Path file, LoadedModel lm) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such prompt file");
        }
        List<int[]> ps = new ArrayList<>();
        for (String line : Subcommand.textLines(file)) {
            if (!line.isBlank()) {
                ps.add(lm.tokenizer().encode(line.strip(), true));
            }
        }
        if (ps.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts (every line is blank)");
        }
        return ps;
    }
}
