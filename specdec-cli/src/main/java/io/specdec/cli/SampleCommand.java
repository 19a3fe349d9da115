package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.LoadedModel;
import io.specdec.train.SampleFile;
import io.specdec.train.SelfDistillation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sample --model PATH --out FILE --sequences N [--prompts FILE] [--temperature T] [--seed S]
 * [--max-new-tokens N] [--top-k-logits K] [--workers W]}: self-distillation data ({@link SelfDistillation}) in the
 * {@link SampleFile} format; re-running the same command resumes a cut-off file. Progress bar with tokens/s and ETA.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Self-distillation data: the target continues prompts; token ids (and optionally its top-k"
                + " logits) go to a sample file. Deterministic under --seed; re-run to resume.")
final class SampleCommand extends Subcommand {
    @Option(names = "--model", paramLabel = "PATH", description = "the target checkpoint; default: the embedded demo"
            + " story model (docs/DEMO.md)")
    Path model;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "sample file (appended to: resume)")
    Path out;
    @Option(names = "--sequences", required = true, paramLabel = "N", description = "records the file should hold")
    long sequences;
    @Option(names = "--prompts", paramLabel = "FILE", description = "prompts, one per line (default: the empty"
            + " prompt, i.e. BOS only)")
    Path prompts;
    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature, 0 = greedy; default 1")
    float temperature = 1f;
    @Option(names = "--seed", paramLabel = "S", description = "base seed; default 42")
    long seed = 42;
    @Option(names = "--max-new-tokens", paramLabel = "N", description = "continuation cap; default 256")
    int maxNewTokens = 256;
    @Option(names = "--top-k-logits", paramLabel = "K", description = "also store the target's top-K logits per"
            + " position (for KL distillation); default 0")
    int topK;
    @Option(names = "--reverse", description = "reverse speculative decoding traces (RSD): the target proposes each"
            + " token and --student keeps it only if its own probability of it is >= --threshold, else samples its own")
    boolean reverse;
    @Option(names = "--student", paramLabel = "PATH", description = "the student checkpoint for --reverse (same"
            + " vocabulary as the target)")
    Path student;
    @Option(names = "--threshold", paramLabel = "P", description = "--reverse: the student's minimum probability to"
            + " keep the target's token; default 0.1")
    float threshold = 0.1f;
    @Option(names = "--workers", paramLabel = "W", description = "parallel workers (one model each); default 1")
    int workers = 1;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        if (sequences < 1) {
            throw new CommandLine.ParameterException(cl, "--sequences must be >= 1, found " + sequences);
        }
        if (workers < 1 || workers > 256) {
            throw new CommandLine.ParameterException(cl, "--workers must be in 1..256, found " + workers);
        }
        if (maxNewTokens < 1 || maxNewTokens > 1 << 24) {
            throw new CommandLine.ParameterException(cl, "--max-new-tokens must be in 1..16777216 (a generation also"
                    + " stops at the model's context), found " + maxNewTokens);
        }
        if (reverse != (student != null)) {
            throw new CommandLine.ParameterException(cl, reverse ? "--reverse needs --student PATH (the model the"
                    + " traces are made for)" : "--student is an option of --reverse");
        }
        if (reverse && !(threshold >= 0 && threshold <= 1)) {
            throw new CommandLine.ParameterException(cl, "--threshold must be in [0, 1], found " + threshold);
        }
        if (reverse && temperature == 0) {
            throw new CommandLine.ParameterException(cl, "--reverse needs --temperature > 0 (a greedy target leaves the"
                    + " student nothing to choose)");
        }
        configure();
        if (model == null) {
            model = io.specdec.demo.DemoModels.target();
            err().println("[no --model: the embedded demo story model (docs/DEMO.md)]");
        }
        LoadedModel lm = Progress.load(model, err());
        maxNewTokens = Math.min(maxNewTokens, lm.config().contextLength());
        List<int[]> ps = prompts == null ? List.of(lm.tokenizer().encode("", true))
                : TrainDraftCommand.prompts(prompts, lm);
        String kernel = "auto".equals(io.specdec.model.Kernels.requested())
                ? (io.specdec.model.Kernels.vectorAvailable() ? "vector" : "torch") : io.specdec.model.Kernels.requested();
        SelfDistillation.Builder sdb = SelfDistillation.builder().setWeights(lm.weights()).setPrompts(ps)
                .setSequences(sequences).optTemperature(temperature).optSeed(seed).optMaxNewTokens(maxNewTokens)
                .optTopK(topK).optWorkers(workers).optKernel(kernel)
                .optTokenizerFingerprint(io.specdec.tokenizer.Vocabularies.fingerprint(lm.tokenizer()));
        if (reverse) {
            LoadedModel st = Progress.load(student, err());
            io.specdec.tokenizer.Vocabularies.requireSame(lm.tokenizer(), st.tokenizer());
            sdb.optReverse(io.specdec.drafters.draftmodel.DraftModelDrafter.forContext(st.weights(),
                    lm.config().contextLength(), student.getFileName().toString()), threshold);
        }
        SelfDistillation sd = sdb.build();
        SelfDistillation.Summary s;
        long t0 = System.nanoTime();
        try (Progress p = Progress.start(err(), "sampling", sequences, "seq")) {
            s = sd.run(out, (done, total, tokens) -> {
                p.stepTo(done);
                double secs = (System.nanoTime() - t0) / 1e9;
                p.message(String.format("%,d tokens, %,.0f tok/s", tokens, tokens / Math.max(1e-9, secs)));
            });
        }
        main.out.printf("%s: %,d sequences (%,d resumed), %,d new tokens in %.1f s = %,.0f tokens/s (%d workers, %s"
                + " kernel)%n", out, s.records(), s.resumedFrom(), s.newTokens(), s.seconds(), s.tokensPerSecond(),
                workers, s.kernel());
        if (reverse) {
            main.out.printf("reverse: the student (%s, threshold %.3f) replaced %,d of %,d target tokens (%.1f%%)%n",
                    student.getFileName(), threshold, s.replaced(), s.newTokens(), 100 * s.replacedShare());
        }
        return 0;
    }
}
