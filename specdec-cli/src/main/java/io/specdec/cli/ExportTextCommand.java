package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.io.LoadedModel;
import io.specdec.train.SampleFile;
import io.specdec.train.TextCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code export-text --samples FILE --model PATH --out FILE.txt}: the stories inside a sample file
 * ({@link TextCorpus#stories}: cut at BOS/EOS, decoded with the model's tokenizer, length-capped fragments dropped),
 * written as a TinyStories-style text file with {@code <|endoftext|>} separators: the input of
 * {@code train-tokenizer} and {@code train-lm}.
 */
@Command(name = "export-text", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Decode the stories of a sample file to text (<|endoftext|> separated).")
final class ExportTextCommand extends Subcommand {
    @Option(names = "--samples", required = true, paramLabel = "FILE", description = "sample file (see: sample)")
    Path samples;
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "the model that wrote the"
            + " samples (its tokenizer decodes them)")
    Path model;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "text file to write")
    Path out;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        configure();
        LoadedModel lm = Progress.load(model, err());
        SampleFile.Header h = SampleFile.header(samples);
        if (h.vocab() != lm.config().vocabSize()) {
            throw new IllegalArgumentException(samples + ": samples of vocabulary " + h.vocab() + ", " + model
                    + " has " + lm.config().vocabSize());
        }
        List<String> docs = TextCorpus.stories(SampleFile.read(samples), lm.tokenizer());
        if (docs.isEmpty()) {
            throw new CommandLine.ParameterException(cl, samples + ": no complete story (no BOS/EOS-delimited"
                    + " fragment)");
        }
        TextCorpus.write(out, docs);
        long chars = 0;
        for (String d : docs) {
            chars += d.length();
        }
        main.out.printf("%s: %,d stories, %,d characters%n", out, docs.size(), chars);
        return 0;
    }
}
