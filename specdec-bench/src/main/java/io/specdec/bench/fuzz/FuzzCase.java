package io.specdec.bench.fuzz;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.CheckpointException;
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
        HF
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
