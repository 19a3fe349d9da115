package io.specdec.bench.cli;

import io.specdec.io.CheckpointWriter;
import io.specdec.io.GgmlType;
import io.specdec.io.LoadedModel;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code convert inflate --model PATH --shape 25M|150M|DIM,HEADS,KV,HEADDIM,FFN,LAYERS --out FILE.gguf|DIR}: builds a
 * function-preserving cost twin ({@link Inflation}) and writes it as GGUF (with the original's SentencePiece
 * vocabulary) or, for a directory, as a Hugging Face safetensors directory.
 */
final class ConvertCommand {
    private final PrintStream out;
    private final PrintStream err;

    ConvertCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] argv) throws IOException {
        if (argv.length < 2 || !argv[1].equals("inflate")) {
            throw new Args.UsageException("convert supports: convert inflate --model PATH --shape 25M|150M|"
                    + "DIM,HEADS,KV,HEADDIM,FFN,LAYERS --out FILE.gguf|DIR [--seed S]");
        }
        Args a = new Args(argv, 2, Set.of("model", "shape", "out", "seed", "threads"), Set.of("verbose"));
        if (a.get("model") == null || a.get("out") == null) {
            throw new Args.UsageException("convert inflate needs --model PATH and --out PATH");
        }
        Inflation.Shape shape = shape(a.get("shape", "25M"));
        LoadedModel lm = Progress.load(Path.of(a.get("model")), err);
        long t0 = System.nanoTime();
        LlamaWeights twin = Inflation.inflate(lm.weights(), shape, a.getInt("seed", 1));
        Path dst = Path.of(a.get("out"));
        if (dst.toString().endsWith(".gguf")) {
            if (!(lm.tokenizer() instanceof SentencePieceBpeTokenizer spm)) {
                throw new IllegalArgumentException("GGUF output needs a SentencePiece vocabulary; write a directory"
                        + " (HF layout) instead");
            }
            CheckpointWriter.writeGguf(twin, spm, dst);
        } else {
            CheckpointWriter.writeHf(twin, dst, GgmlType.F32);
        }
        out.printf("wrote %s: %,d parameters (%s) in %.1f s%n", dst, twin.config().parameterCount(), shape,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static Inflation.Shape shape(String s) {
        switch (s) {
            case "25M":
                return Inflation.TWIN_25M;
            case "150M":
                return Inflation.TWIN_150M;
            default:
                String[] p = s.split(",");
                if (p.length != 6) {
                    throw new Args.UsageException("--shape must be 25M, 150M or DIM,HEADS,KV,HEADDIM,FFN,LAYERS");
                }
                int[] v = new int[6];
                for (int i = 0; i < 6; i++) {
                    v[i] = Integer.parseInt(p[i].trim());
                }
                return new Inflation.Shape(v[0], v[1], v[2], v[3], v[4], v[5]);
        }
    }
}
