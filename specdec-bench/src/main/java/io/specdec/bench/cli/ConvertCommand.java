package io.specdec.bench.cli;

import io.specdec.io.CheckpointWriter;
import io.specdec.io.GgmlType;
import io.specdec.io.LoadedModel;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convert inflate --model PATH --shape 25M|150M|DIM,HEADS,KV,HEADDIM,FFN,LAYERS --out FILE.gguf|DIR}: builds a
 * function-preserving cost twin ({@link Inflation}) and writes it as GGUF (with the original's SentencePiece
 * vocabulary) or, for a directory, as a Hugging Face safetensors directory.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "convert inflate: write a function-preserving cost twin (same logits, bigger compute).")
final class ConvertCommand extends Subcommand {

    @Parameters(index = "0", paramLabel = "ACTION", description = "inflate")
    String action;
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "the original checkpoint")
    Path model;
    @Option(names = "--shape", paramLabel = "SHAPE", description = "25M, 150M or DIM,HEADS,KV,HEADDIM,FFN,LAYERS;"
            + " default 25M")
    String shape = "25M";
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf|DIR", description = "where to write the twin")
    Path out;
    @Option(names = "--seed", paramLabel = "S", description = "seed of the inflation's random parts; default 1")
    long seed = 1;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        if (!action.equals("inflate")) {
            throw new CommandLine.ParameterException(cl, "convert supports one action, inflate; found '" + action
                    + "'");
        }
        Inflation.Shape s = shape(cl, shape);
        configure();
        LoadedModel lm = Progress.load(model, main.err);
        long t0 = System.nanoTime();
        LlamaWeights twin = Inflation.inflate(lm.weights(), s, seed);
        if (out.toString().endsWith(".gguf")) {
            if (!(lm.tokenizer() instanceof SentencePieceBpeTokenizer spm)) {
                throw new IllegalArgumentException("GGUF output needs a SentencePiece vocabulary; write a directory"
                        + " (HF layout) instead");
            }
            CheckpointWriter.writeGguf(twin, spm, out);
        } else {
            CheckpointWriter.writeHf(twin, out, GgmlType.F32);
        }
        main.out.printf("wrote %s: %,d parameters (%s) in %.1f s%n", out, twin.config().parameterCount(), s,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static Inflation.Shape shape(CommandLine cl, String s) {
        switch (s) {
            case "25M":
                return Inflation.TWIN_25M;
            case "150M":
                return Inflation.TWIN_150M;
            default:
                String[] p = s.split(",");
                if (p.length != 6) {
                    throw new CommandLine.ParameterException(cl, "--shape must be 25M, 150M or"
                            + " DIM,HEADS,KV,HEADDIM,FFN,LAYERS; found '" + s + "'");
                }
                int[] v = new int[6];
                for (int i = 0; i < 6; i++) {
                    try {
                        v[i] = Integer.parseInt(p[i].trim());
                    } catch (NumberFormatException e) {
                        throw new CommandLine.ParameterException(cl, "--shape needs six integers; found '" + s + "'");
                    }
                }
                return new Inflation.Shape(v[0], v[1], v[2], v[3], v[4], v[5]);
        }
    }
}
