package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.CheckpointWriter;
import io.specdec.io.GgufQuantizer;
import io.specdec.tensor.GgmlType;
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
 * {@code convert inflate --model PATH --shape 25M|150M|1B|deep|DIM,HEADS,KV,HEADDIM,FFN,LAYERS --out FILE.gguf|DIR}:
 * builds a function-preserving cost twin ({@link Inflation}) and writes it as GGUF (with the original's SentencePiece
 * vocabulary) or, for a directory, as a Hugging Face safetensors directory.
 * {@code convert quantize --model IN.gguf --type q8_0|q4_0|q4_k|q6_k|f16|bf16|f32 --out OUT.gguf}: re-encodes a GGUF
 * file's weights ({@link GgufQuantizer}; llama.cpp reads the result).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"convert inflate: write a function-preserving cost twin (same logits, bigger compute).",
            "convert quantize: re-encode a GGUF file's weights as q8_0, q4_0, q4_k, q6_k, f16, bf16 or f32."})
final class ConvertCommand extends Subcommand {

    @Parameters(index = "0", paramLabel = "ACTION", description = "inflate or quantize")
    String action;
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "the original checkpoint")
    Path model;
    @Option(names = "--shape", paramLabel = "SHAPE", description = "25M, 150M, 1B, deep or DIM,HEADS,KV,HEADDIM,FFN,LAYERS;"
            + " default 25M")
    String shape = "25M";
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf|DIR", description = "where to write the twin")
    Path out;
    @Option(names = "--seed", paramLabel = "S", description = "seed of the inflation's random parts; default 1")
    long seed = 1;
    @Option(names = "--type", paramLabel = "TYPE", description = "quantize: q8_0, q4_0, q4_k, q6_k, f16, bf16 or f32; inflate: the"
            + " twin's matrix type (default f32)")
    String type;
    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "quantize: embed this chat template"
            + " (a built-in name or a .jinja file) as tokenizer.chat_template")
    String chatTemplate;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        if (action.equals("quantize")) {
            return quantize(cl);
        }
        if (!action.equals("inflate")) {
            throw new CommandLine.ParameterException(cl, "convert ACTION must be inflate or quantize; found '" + action
                    + "'");
        }
        Inflation.Shape s = shape(cl, shape);
        configure();
        LoadedModel lm = Progress.load(model, main.err);
        long t0 = System.nanoTime();
        Inflation.Twin twin = Inflation.twin(lm.weights(), s, seed);
        GgmlType matrices = type == null ? GgmlType.F32 : type(cl);
        if (out.toString().endsWith(".gguf")) {
            if (!(lm.tokenizer() instanceof SentencePieceBpeTokenizer spm)) {
                throw new IllegalArgumentException("GGUF output needs a SentencePiece vocabulary; write a directory"
                        + " (HF layout) instead");
            }
            CheckpointWriter.writeGguf(twin, spm, out, matrices); // one layer in memory at a time
        } else {
            if (matrices != GgmlType.F32 && matrices != GgmlType.F16 && matrices != GgmlType.BF16) {
                throw new CommandLine.ParameterException(cl, "an HF directory holds f32, f16 or bf16; found --type "
                        + type);
            }
            CheckpointWriter.writeHf(twin.materialize(), out, matrices);
        }
        main.out.printf("wrote %s: %,d parameters (%s, %s) in %.1f s%n", out, twin.config().parameterCount(), s,
                matrices, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private GgmlType type(CommandLine cl) {
        try {
            return GgmlType.valueOf(type.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--type must be q8_0, q4_0, q4_k, q6_k, f16, bf16 or f32;"
                    + " found '" + type + "'");
        }
    }

    private int quantize(CommandLine cl) throws IOException {
        if (type == null) {
            throw new CommandLine.ParameterException(cl, "convert quantize needs --type q8_0|q4_0|q4_k|q6_k|f16|bf16|f32");
        }
        GgmlType t = type(cl);
        if (!model.toString().endsWith(".gguf") || java.nio.file.Files.isDirectory(model)) {
            throw new CommandLine.ParameterException(cl, "convert quantize reads a GGUF file; found '" + model
                    + "' (write a GGUF first, e.g. with convert inflate --shape of the original)");
        }
        if (!out.toString().endsWith(".gguf")) {
            throw new CommandLine.ParameterException(cl, "convert quantize writes a .gguf file; found '" + out + "'");
        }
        long t0 = System.nanoTime();
        java.util.Map<String, String> set = new java.util.LinkedHashMap<>();
        if (chatTemplate != null) {
            set.put("tokenizer.chat_template", io.specdec.chat.ChatTemplates.named(chatTemplate, "", "").source());
        }
        GgufQuantizer.Result r = GgufQuantizer.quantize(model, out, t, set, s -> { });
        main.out.printf("wrote %s: %d tensors %s, %,d bytes in %.1f s%n", out, r.tensors(), r.types(), r.bytes(),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static Inflation.Shape shape(CommandLine cl, String s) {
        switch (s) {
            case "1B":
                return Inflation.TWIN_1B;
            case "deep":
                return Inflation.TWIN_DEEP;
            case "25M":
                return Inflation.TWIN_25M;
            case "150M":
                return Inflation.TWIN_150M;
            default:
                String[] p = s.split(",");
                if (p.length != 6) {
                    throw new CommandLine.ParameterException(cl, "--shape must be 25M, 150M, 1B, deep or"
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
