package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import io.specdec.train.LlamaTrainer;
import io.specdec.train.TrainableLlama;
import io.specdec.train.TrainingData;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The trainer's options ({@link LlamaTrainer.Config}) shared by {@code train-draft} and {@code train-lm}. */
final class TrainerOptions {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "checkpoint folder: best.gguf,"
            + " last.gguf, trainer.gguf (resume)")
    Path out;
    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps; default 2000")
    int steps = 2000;
    @Option(names = "--batch-size", paramLabel = "B", description = "sequences per step; default 16")
    int batchSize = 16;
    @Option(names = "--seq-len", paramLabel = "T", description = "positions per sequence; default 128")
    int seqLen = 128;
    @Option(names = "--lr", paramLabel = "LR", description = "peak learning rate; default 3e-3")
    float lr = 3e-3f;
    @Option(names = "--min-lr", paramLabel = "LR", description = "final learning rate (cosine); default lr/10")
    Float minLr;
    @Option(names = "--warmup", paramLabel = "N", description = "linear warm-up steps; default min(50, steps/10)")
    Integer warmup;
    @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW decay on matrices; default 0.1")
    float weightDecay = 0.1f;
    @Option(names = "--clip", paramLabel = "C", description = "gradient-norm clip, 0 = none; default 1")
    float clip = 1f;
    @Option(names = "--eval-every", paramLabel = "N", description = "steps between validations/checkpoints;"
            + " default 100")
    int evalEvery = 100;
    @Option(names = "--eval-batches", paramLabel = "N", description = "validation batches; default 8")
    int evalBatches = 8;
    @Option(names = "--patience", paramLabel = "N", description = "validations without improvement before"
            + " stopping, 0 = never; default 5")
    int patience = 5;
    @Option(names = "--kl-weight", paramLabel = "A", description = "weight of KL to the stored top-k teacher"
            + " logits (when the samples have them); default 1")
    float klWeight = 1f;
    @Option(names = "--val-fraction", paramLabel = "F", description = "sequences held out for validation;"
            + " default 0.02")
    double valFraction = 0.02;
    @Option(names = "--seed", paramLabel = "S", description = "batch and init seed; default 1")
    long seed = 1;
    @Option(names = "--resume", description = "continue the run checkpointed in --out (with --steps N: extend a"
            + " finished run to N steps)")
    boolean resume;
    @Option(names = "--export", paramLabel = "FILE.gguf", description = "also write the best checkpoint here"
            + " (in --export-dtype)")
    Path export;
    @Option(names = "--export-dtype", paramLabel = "f32|f16", description = "matrix type of --export; default f32")
    String exportDtype = "f32";

    /** S2D exits set by the command (not an option of every trainer); null: the last layer only. */
    int[] exits;

    LlamaTrainer.Config config(CommandLine cl) {
        exportType(cl);
        if (export != null && !export.toString().endsWith(".gguf")) {
            throw new CommandLine.ParameterException(cl, "--export must name a .gguf file, found " + export);
        }
        if (export != null) {
            Path dir = export.toAbsolutePath().getParent();
            if (Files.isDirectory(export) || dir == null || Files.exists(dir) && !Files.isWritable(dir)) {
                throw new CommandLine.ParameterException(cl, "--export " + export + ": cannot be written (checked"
                        + " before training)");
            }
        }
        if (!(valFraction > 0 && valFraction < 0.5)) {
            throw new CommandLine.ParameterException(cl, "--val-fraction must be in (0, 0.5), found " + valFraction);
        }
        int warm = warmup == null ? Math.min(50, steps / 10) : warmup;
        // every number against its range, naming the flag, before anything is loaded or trained
        bound(cl, "--steps", steps, 1, 100_000_000);
        bound(cl, "--batch-size", batchSize, 1, 4096);
        bound(cl, "--seq-len", seqLen, 1, 1 << 20);
        bound(cl, "--warmup", warm, 0, steps - 1);
        bound(cl, "--eval-every", evalEvery, 1, 100_000_000);
        bound(cl, "--eval-batches", evalBatches, 1, 1 << 20);
        bound(cl, "--patience", patience, 0, 1 << 20);
        real(cl, "--lr", lr, 0, 10, false);
        if (minLr != null) {
            real(cl, "--min-lr", minLr, 0, lr, true);
        }
        real(cl, "--weight-decay", weightDecay, 0, 1, true);
        real(cl, "--clip", clip, 0, 1e6, true);
        real(cl, "--kl-weight", klWeight, 0, 1000, true);
        try {
            return new LlamaTrainer.Config(steps, batchSize, seqLen, lr, minLr == null ? lr / 10 : minLr, warm,
                    weightDecay, clip, evalEvery, evalBatches, patience, klWeight, seed, exits);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    private static void bound(CommandLine cl, String flag, long v, long lo, long hi) {
        if (v < lo || v > hi) {
            throw new CommandLine.ParameterException(cl, flag + " must be in " + lo + ".." + hi + ", found " + v
                    + (flag.equals("--warmup") ? " (the warm-up must be shorter than --steps)" : ""));
        }
    }

    private static void real(CommandLine cl, String flag, double v, double lo, double hi, boolean loInclusive) {
        boolean ok = Double.isFinite(v) && (loInclusive ? v >= lo : v > lo) && v <= hi;
        if (!ok) {
            throw new CommandLine.ParameterException(cl, flag + " must be a finite number in " + (loInclusive ? "["
                    : "(") + lo + ", " + hi + "], found " + v);
        }
    }

    /** A listener that moves {@code p} and shows loss, the last validation loss, learning rate and tokens/s. */
    static LlamaTrainer.Listener progress(Progress p) {
        float[] val0 = {Float.NaN};
        return new LlamaTrainer.Listener() {
            @Override
            public void onStep(int step, int steps, float loss, float lrNow, double tps) {
                p.stepTo(step);
                p.message(String.format("loss %.3f val %.3f lr %.1e %,.0f tok/s", loss, val0[0], lrNow, tps));
            }

            @Override
            public void onEval(int step, float v, float best) {
                val0[0] = v;
            }
        };
    }

    /** Trains (or resumes) with a progress bar; prints the outcome. */
    LlamaTrainer.Result run(CommandLine cl, TrainableLlama model, TrainingData train, TrainingData val,
            SentencePieceBpeTokenizer tok, PrintStream err, PrintStream outStream) throws IOException {
        LlamaTrainer.Config cfg = config(cl);
        if (resume && !Files.isRegularFile(out.resolve("trainer.gguf"))) {
            throw new IllegalArgumentException("--resume: " + out + " holds no trainer.gguf");
        }
        if (!resume && Files.isRegularFile(out.resolve("trainer.gguf"))) {
            throw new IllegalArgumentException(out + " already holds a run (trainer.gguf): pass --resume to continue"
                    + " it or choose another --out");
        }
        boolean extend = resume && cl.getParseResult().hasMatchedOption("--steps");
        if (resume) {
            outStream.printf("resuming the run in %s with its checkpointed settings (trainer options given now do not"
                    + " apply, except --steps N above the run's own total, which extends it)%n", out);
        }
        LlamaTrainer.Result r;
        try (Progress p = Progress.start(err, "training", cfg.steps(), "step")) {
            LlamaTrainer.Listener l = progress(p);
            r = resume ? LlamaTrainer.resume(out, train, val, tok, l, extend ? steps : 0)
                    : LlamaTrainer.train(model, train, val, cfg, out, tok, l);
        }
        // with a KL term the loss is CE + A·KL: its exponential is not a perplexity
        String what = klWeight > 0 ? String.format(java.util.Locale.ROOT, " (cross-entropy + %s x KL to the teacher"
                + " where the samples have its logits)", klWeight) : String.format(java.util.Locale.ROOT,
                " (perplexity %.3f)", Math.exp(r.bestValLoss()));
        outStream.printf("trained %d steps in %.1f s (%,.0f tokens/s): best validation loss %.4f%s at step %d%s;"
                + " checkpoints in %s%n", r.step(), r.seconds(), r.tokens() / Math.max(1e-9, r.seconds()),
                r.bestValLoss(), what, r.bestStep(), r.stoppedEarly() ? " (stopped early)" : "", out);
        if (export != null) {
            io.specdec.io.LoadedModel best = io.specdec.io.ModelLoader.load(out.resolve("best.gguf"));
            io.specdec.io.CheckpointWriter.writeGguf(best.weights(), tok, export, exportType(cl));
            outStream.printf("exported %s (%s matrices, %,d bytes)%n", export, exportDtype, Files.size(export));
        }
        return r;
    }

    private io.specdec.tensor.GgmlType exportType(CommandLine cl) {
        switch (exportDtype) {
            case "f32":
                return io.specdec.tensor.GgmlType.F32;
            case "f16":
                return io.specdec.tensor.GgmlType.F16;
            default:
                throw new CommandLine.ParameterException(cl, "--export-dtype must be f32 or f16, found '"
                        + exportDtype + "'");
        }
    }
}
