package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.LoadedModel;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokenize [--model PATH] --prompt TEXT | --prompt-file FILE|-}: a model's tokenizer on a text, like
 * llama.cpp's {@code llama-tokenize}: one {@code id -> 'piece'} line per token (the vocabulary's piece), or
 * {@code --ids} (the id list) or {@code --json} ({@code {"ids": [...], "pieces": [...]}}). As llama.cpp's test vectors
 * were made, no BOS is added unless {@code --bos} is given.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print the token ids and pieces of a text under a model's tokenizer (like llama-tokenize).")
final class TokenizeCommand extends Subcommand {
    @Option(names = "--model", paramLabel = "PATH", description = "the checkpoint whose tokenizer to use; default:"
            + " the embedded demo story model")
    Path model;
    @Option(names = "--prompt", paramLabel = "TEXT", description = "the text")
    String prompt;
    @Option(names = "--prompt-file", paramLabel = "FILE", description = "read the text from a file (UTF-8; - for"
            + " standard input)")
    Path promptFile;
    @Option(names = "--bos", description = "prepend the BOS token (default: not, as llama.cpp's test vectors)")
    boolean bos;
    @Option(names = "--parse-special", description = "match control tokens written in the text (<|eot_id|>, <s>) as"
            + " single tokens (default: not; user-defined tokens always are), as llama-tokenize's --parse-special")
    boolean parseSpecial;

    @Option(names = "--ids", description = "print only the id list, e.g. [1, 9038, 2501]")
    boolean idsOnly;
    @Option(names = "--json", description = "print {\"ids\": [...], \"pieces\": [...]}")
    boolean json;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        if ((prompt == null) == (promptFile == null)) {
            throw new CommandLine.ParameterException(cl, "give the text with exactly one of --prompt and"
                    + " --prompt-file");
        }
        if (idsOnly && json) {
            throw new CommandLine.ParameterException(cl, "--ids and --json are alternatives; give one");
        }
        String text = prompt != null ? prompt : promptFile.toString().equals("-")
                ? new String(main.in.readAllBytes(), StandardCharsets.UTF_8)
                : String.join("\n", Subcommand.textLines(promptFile));
        configure();
        if (model == null) {
            model = io.specdec.demo.DemoModels.target();
        }
        Tokenizer t = tokenizer(model);
        int[] ids = t.encode(text, bos, parseSpecial);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(t.piece(id));
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ids", ids);
            m.put("pieces", pieces);
            main.out.println(Json.GSON.toJson(m));
        } else if (idsOnly) {
            main.out.println(java.util.Arrays.toString(ids));
        } else {
            for (int i = 0; i < ids.length; i++) {
                main.out.printf("%6d -> '%s'%n", ids[i], pieces.get(i));
            }
        }
        return 0;
    }

    /** A GGUF file's tokenizer from its metadata alone (no weights: llama.cpp's vocabulary-only files work); else the
     * model's, loaded. */
    private Tokenizer tokenizer(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            byte[] magic;
            try (var in = Files.newInputStream(path)) {
                magic = in.readNBytes(4);
            }
            if (java.util.Arrays.equals(magic, new byte[] {'G', 'G', 'U', 'F'})) {
                try (io.specdec.io.GgufFile g = io.specdec.io.GgufFile.open(path)) {
                    return io.specdec.io.GgufLoader.tokenizer(g);
                }
            }
        }
        LoadedModel lm = Progress.load(path, err());
        return lm.tokenizer();
    }
}
