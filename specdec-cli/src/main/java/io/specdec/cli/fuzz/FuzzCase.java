package io.specdec.cli.fuzz;

import io.specdec.Specdec;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.format.CheckpointException;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * One mutant of one checkpoint format, built deterministically from {@code (seed, index)} and run the way a user runs
 * a model: load it, encode a prompt, generate four tokens, decode. The outcome is classified in-process; a JVM abort
 * or a hang is classified by the parent ({@link FuzzCommand}), which runs cases in a worker JVM.
 */
public final class FuzzCase {
    /** Checkpoint formats under test. */
    public enum Format {
        /** A GGUF file (stories260K.gguf). */
        GGUF,
        /** A llama2.c checkpoint and its tokenizer.bin (stories260K.bin, tok512.bin). */
        LLAMA2C,
        /** A Hugging Face directory: config.json, tokenizer.json, safetensors (single or sharded, index). */
        HF,
        /** The project's committed heads of every registered family, run as the drafter of stories260K. */
        HEADS,
        /** The project's committed SpecDec++ acceptance heads, run as the controller of their drafter. */
        ACCEPTANCE_HEAD,
        /** A sample file (self-distillation data), read the way the trainers read it. */
        SAMPLE;

        /** The name used on the command line ({@code acceptance-head}). */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Every registered head family with committed heads for stories260K ({@code models/stories260K-<id>.gguf}). */
    static List<String> headKinds() {
        List<String> out = new java.util.ArrayList<>();
        for (io.specdec.drafters.heads.HeadArchitecture a : io.specdec.drafters.heads.HeadArchitectures.all()) {
            if (Files.isRegularFile(io.specdec.cli.suite.BenchPaths.projectModels().resolve("stories260K-" + a.id()
                    + ".gguf"))) {
                out.add(a.id());
            }
        }
        return out;
    }

    /**
     * Every committed acceptance head ({@code models/stories260K-<stem>-acceptance.gguf}) as {drafter, stem}: stem
     * {@code draft2L} is the draft model's, any other stem names its head family.
     */
    static List<String[]> acceptanceHeads() {
        List<String[]> out = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(io.specdec.cli.suite.BenchPaths.projectModels())) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("stories260K-") && n.endsWith("-acceptance.gguf")) {
                    String stem = n.substring(0, n.length() - "-acceptance.gguf".length());
                    String kind = stem.substring("stories260K-".length());
                    out.add(new String[] {kind.equals("draft2L") ? "draft-model" : kind, stem});
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** What happened. */
    public enum Outcome {
        /** Loaded and generated. */
        SUCCESS,
        /** A one-line error naming what is wrong (checkpoint, argument or I/O exception). */
        CLEAN_ERROR,
        /** Any other exception or error: what a user would see as a stack trace. */
        STACK_TRACE,
        /** OutOfMemoryError. */
        OOM,
        /** The process died (classified by the parent). */
        ABORT,
        /** No result within the time limit (classified by the parent). */
        HANG
    }

    /** A result with its message (first line of the exception, or empty). */
    public record Result(Outcome outcome, String message) {}

    private FuzzCase() {}

    /** Writes mutant {@code index} of {@code format} into {@code dir} (emptied first); returns the path to load. */
    public static Path write(Format format, long seed, long index, Path shared, Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        Path models = shared.resolve("models");
        switch (format) {
            case GGUF -> {
                Path out = dir.resolve("model.gguf");
                Files.write(out, Mutator.bytes(Files.readAllBytes(models.resolve("stories260K.gguf")), r));
                return out;
            }
            case LLAMA2C -> {
                Path ckpt = dir.resolve("model.bin");
                Path tok = dir.resolve("tok512.bin");
                boolean tokenizer = r.nextInt(5) == 0;
                byte[] c = Files.readAllBytes(models.resolve("stories260K.bin"));
                byte[] t = Files.readAllBytes(models.resolve("tok512.bin"));
                Files.write(ckpt, tokenizer ? c : Mutator.bytes(c, r));
                Files.write(tok, tokenizer ? Mutator.bytes(t, r) : t);
                return ckpt;
            }
            case HEADS -> {
                List<String> kinds = headKinds();
                String kind = kinds.get(r.nextInt(kinds.size()));
                Path out = dir.resolve(kind + ".gguf");
                Files.write(out, Mutator.bytes(Files.readAllBytes(projectModel("stories260K-" + kind + ".gguf")), r));
                return out;
            }
            case ACCEPTANCE_HEAD -> {
                List<String[]> heads = acceptanceHeads();
                String[] a = heads.get(r.nextInt(heads.size()));
                Path out = dir.resolve(a[0] + ".gguf");
                Files.write(out, Mutator.bytes(Files.readAllBytes(projectModel(a[1] + "-acceptance.gguf")), r));
                return out;
            }
            case SAMPLE -> {
                Path out = dir.resolve("samples.bin");
                Files.write(out, Mutator.bytes(Files.readAllBytes(originalSamples(shared, dir.getParent())), r));
                return out;
            }
            default -> {
                Path src = models.resolve(r.nextInt(4) == 0 ? "stories260K-hf-bf16-sharded" : "stories260K-hf");
                List<Path> files;
                try (Stream<Path> s = Files.list(src)) {
                    files = s.sorted().toList();
                }
                // which file to mutate: tokenizer.json and config.json most often, then the weights
                int pick = r.nextInt(10);
                String target = pick < 4 ? "tokenizer.json" : pick < 7 ? "config.json" : null;
                Path mutated = target != null ? src.resolve(target) : files.get(r.nextInt(files.size()));
                for (Path f : files) {
                    byte[] b = Files.readAllBytes(f);
                    if (f.equals(mutated)) {
                        b = f.getFileName().toString().endsWith(".json") && r.nextInt(4) != 0
                                ? Mutator.json(b, r) : Mutator.bytes(b, r);
                    }
                    Files.write(dir.resolve(f.getFileName()), b);
                }
                return dir;
            }
        }
    }

    /** A committed model of the project ({@code models/}). */
    static Path projectModel(String name) {
        Path p = io.specdec.cli.suite.BenchPaths.projectModels().resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("the fuzzer needs the project's " + p + " (run it from the repository)");
        }
        return p;
    }

    /** The sample file the SAMPLE format mutates: 6 stories260K continuations with top-4 logits, made once. */
    static synchronized Path originalSamples(Path shared, Path cache) throws IOException {
        Path p = cache.resolve("original-samples.bin");
        if (!Files.isRegularFile(p)) {
            Path tmp = cache.resolve("original-samples.tmp");
            Files.deleteIfExists(tmp);
            LoadedModel lm = ModelLoader.load(shared.resolve("models/stories260K.gguf"));
            io.specdec.train.SelfDistillation.builder().setWeights(lm.weights())
                    .setPrompts(List.of(lm.tokenizer().encode("Once upon a time", true))).setSequences(6)
                    .optTemperature(1f).optSeed(3).optMaxNewTokens(24).optTopK(4).build().run(tmp, null);
            Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return p;
    }

    /** Runs a mutant of {@code format} the way a user would; never throws. */
    public static Result run(Format format, Path path, Path shared) {
        try {
            switch (format) {
                case HEADS -> {
                    String kind = path.getFileName().toString().replace(".gguf", "");
                    Specdec.Builder b = Specdec.builder().setModel(shared.resolve("models/stories260K.gguf"))
                            .optDrafter(kind).optDrafterOption("heads", path.toString()).optMaxNewTokens(6);
                    return generate(b);
                }
                case ACCEPTANCE_HEAD -> {
                    String drafter = path.getFileName().toString().replace(".gguf", "");
                    Specdec.Builder b = Specdec.builder().setModel(shared.resolve("models/stories260K.gguf"))
                            .optDrafter(drafter).optController("specdec++:0.5")
                            .optControllerOption("acceptance-head", path.toString()).optMaxNewTokens(6);
                    String stem = null;
                    for (String[] a : acceptanceHeads()) {
                        stem = a[0].equals(drafter) ? a[1] : stem;
                    }
                    b.optDrafterOption(drafter.equals("draft-model") ? "draft-model" : "heads",
                            projectModel(stem + ".gguf").toString());
                    return generate(b);
                }
                case SAMPLE -> {
                    io.specdec.train.SampleFile.Header h = io.specdec.train.SampleFile.header(path);
                    List<io.specdec.train.SampleFile.Sample> all = io.specdec.train.SampleFile.read(path);
                    io.specdec.train.TrainingData d = new io.specdec.train.TrainingData(all, h.vocab(), 0);
                    d.batch(1, 0, 2, 16);
                    return new Result(Outcome.SUCCESS, "");
                }
                default -> {
                    return run(path);
                }
            }
        } catch (OutOfMemoryError e) {
            return new Result(Outcome.OOM, String.valueOf(e.getMessage()));
        } catch (Throwable e) {
            return classify(e);
        }
    }

    /** Generates a few tokens greedily and sampled through {@code b}; the result must be well formed. */
    private static Result generate(Specdec.Builder b) {
        for (io.specdec.sampling.SamplingConfig s : new io.specdec.sampling.SamplingConfig[] {
            io.specdec.sampling.SamplingConfig.GREEDY,
            io.specdec.sampling.SamplingConfig.builder().optTemperature(0.7f).optSeed(1).build()}) {
            try (Specdec sd = b.optSampling(s).build()) {
                sd.generate("Once upon a time");
            }
        }
        return new Result(Outcome.SUCCESS, "");
    }

    private static Result classify(Throwable e) {
        if (e instanceof CheckpointException || e instanceof IllegalArgumentException || e instanceof IOException
                || e instanceof UncheckedIOException) {
            String msg = e.getMessage();
            boolean clean = msg != null && !msg.isBlank() && !msg.contains("\n") && msg.length() < 600;
            return new Result(clean ? Outcome.CLEAN_ERROR : Outcome.STACK_TRACE, e.getClass().getSimpleName() + ": "
                    + firstLine(msg));
        }
        return new Result(Outcome.STACK_TRACE, e.getClass().getName() + ": " + firstLine(e.getMessage()) + " at "
                + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"));
    }

    /** Loads and runs {@code path}; never throws. */
    public static Result run(Path path) {
        try {
            LoadedModel lm = ModelLoader.load(path);
            try (LlamaModel m = lm.newModel()) {
                if (lm.tokenizer() == null) {
                    return new Result(Outcome.CLEAN_ERROR, "no tokenizer");
                }
                var g = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                        .optConfig(GenerationConfig.builder().optMaxNewTokens(4).optStopAtEos(false).build()).build();
                String text = g.generate("Once upon a time").text();
                lm.tokenizer().decode(lm.tokenizer().encode(text, true));
            } finally {
                if (lm.tokenizer() instanceof AutoCloseable c) {
                    c.close();
                }
            }
            return new Result(Outcome.SUCCESS, "");
        } catch (OutOfMemoryError e) {
            return new Result(Outcome.OOM, String.valueOf(e.getMessage()));
        } catch (CheckpointException | IllegalArgumentException | IOException | UncheckedIOException e) {
            String msg = e.getMessage();
            boolean clean = msg != null && !msg.isBlank() && !msg.contains("\n") && msg.length() < 600;
            return new Result(clean ? Outcome.CLEAN_ERROR : Outcome.STACK_TRACE, e.getClass().getSimpleName() + ": "
                    + firstLine(msg));
        } catch (Throwable e) {
            return new Result(Outcome.STACK_TRACE, e.getClass().getName() + ": " + firstLine(e.getMessage()) + " at "
                    + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
