package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.CheckpointWriter;
import io.specdec.train.BpeTrainer;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.train.TextCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train-tokenizer --text FILE --vocab-size N --out tokenizer.bin [--min-char-count C]}: learns a byte-fallback
 * BPE vocabulary ({@link BpeTrainer}) from a text file ({@code <|endoftext|>}-separated documents) and writes it as a
 * llama2.c {@code tokenizer.bin}; {@code train-lm} embeds it in the GGUF it writes. Reports compression (characters
 * per token) and checks that every document round-trips.
 */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train a byte-fallback BPE tokenizer (SentencePiece form) from text; writes llama2.c"
                + " tokenizer.bin.")
final class TrainTokenizerCommand extends Subcommand {
    @Option(names = "--text", required = true, paramLabel = "FILE", description = "training text,"
            + " <|endoftext|>-separated documents")
    Path text;
    @Option(names = "--vocab-size", paramLabel = "N", description = "pieces, including UNK/BOS/EOS and the 256"
            + " byte pieces; default 512")
    int vocabSize = 512;
    @Option(names = "--min-char-count", paramLabel = "C", description = "characters seen fewer times fall back to"
            + " bytes; default 10")
    int minCharCount = 10;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "tokenizer.bin to write")
    Path out;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        if (minCharCount < 1) {
            throw new CommandLine.ParameterException(cl, "--min-char-count must be >= 1, found " + minCharCount);
        }
        configure();
        List<String> docs = TextCorpus.read(text);
        if (docs.isEmpty()) {
            throw new CommandLine.ParameterException(cl, text + ": no documents");
        }
        long t0 = System.nanoTime();
        SentencePieceBpeTokenizer tok;
        try (Progress p = Progress.start(err(), "merges", vocabSize, "piece")) {
            try {
                tok = BpeTrainer.train(docs, vocabSize, minCharCount, p::stepTo);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        CheckpointWriter.writeLlama2cTokenizer(tok, out);
        long chars = 0;
        long tokens = 0;
        int bad = 0;
        for (String d : docs) {
            int[] ids = tok.encode(d, false);
            chars += d.length();
            tokens += ids.length;
            if (!tok.decode(ids).equals(d)) {
                bad++;
            }
        }
        main.out.printf("%s: %d pieces from %,d documents in %.1f s; %,d tokens, %.2f characters per token;"
                + " round trip %s%n", out, tok.vocabSize(), docs.size(), secs, tokens, chars / (double) tokens,
                bad == 0 ? "exact on every document" : bad + " documents differ");
        String first = docs.get(0).substring(0, Math.min(80, docs.get(0).length()));
        int[] ids = tok.encode(first, false);
        String[] pieces = new String[Math.min(ids.length, 24)];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = tok.piece(ids[i]);
        }
        main.out.println("example: " + Arrays.toString(pieces));
        return bad == 0 ? 0 : 1;
    }
}
