package io.specdec.cli;

import io.specdec.io.Llama2cLoader;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaConfig;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.train.Initialization;
import io.specdec.train.SampleFile;
import io.specdec.train.TextCorpus;
import io.specdec.train.TrainableLlama;
import io.specdec.train.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train-lm --text FILE --tokenizer FILE --out DIR [shape options] [trainer options]}: trains a Llama language
 * model from scratch (GPT-2 initialisation, {@link Initialization#gpt2}) on a text file: every document becomes
 * {@code BOS + tokens + EOS}, cut to the context length. The checkpoints ({@code best.gguf}) embed the tokenizer.
 * This is how the embedded demo target is made (docs/DEMO.md).
 */
@Command(name = "train-lm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train a Llama language model from scratch on text (next-token CE).")
final class TrainLmCommand extends Subcommand {
    @Option(names = "--text", required = true, paramLabel = "FILE", description = "training text,"
            + " <|endoftext|>-separated documents")
    Path text;
    @Option(names = "--tokenizer", required = true, paramLabel = "FILE", description = "llama2.c tokenizer.bin"
            + " (see: train-tokenizer) or a GGUF model whose vocabulary to use")
    Path tokenizer;
    @Option(names = "--dim", paramLabel = "D", description = "model width; default 96")
    int dim = 96;
    @Option(names = "--model-layers", paramLabel = "N", description = "decoder layers; default 4")
    int layers = 4;
    @Option(names = "--heads", paramLabel = "H", description = "attention heads; default 4")
    int heads = 4;
    @Option(names = "--kv-heads", paramLabel = "H", description = "key/value heads (GQA); default = --heads")
    Integer kvHeads;
    @Option(names = "--hidden-dim", paramLabel = "F", description = "SwiGLU width; default 8/3 x dim, rounded to 32")
    Integer hiddenDim;
    @Option(names = "--context", paramLabel = "N", description = "context length (documents are cut to it);"
            + " default 256")
    int context = 256;
    @Option(names = "--tie-embeddings", description = "share the embedding and the LM head")
    boolean tied;
    @Mixin
    TrainerOptions train;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = cl();
        train.config(cl);
        int kv = kvHeads == null ? heads : kvHeads;
        int hidden = hiddenDim == null ? Math.max(32, (dim * 8 / 3 + 31) / 32 * 32) : hiddenDim;
        if (heads < 1 || dim % heads != 0) {
            throw new CommandLine.ParameterException(cl, "--heads must divide --dim=" + dim + ", found " + heads);
        }
        if (train.seqLen + 1 > context) {
            throw new CommandLine.ParameterException(cl, "--seq-len " + train.seqLen + " needs --context >= "
                    + (train.seqLen + 1) + ", found " + context);
        }
        configure();
        SentencePieceBpeTokenizer tok = tokenizer(tokenizer);
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, hidden, layers, heads, kv, dim / heads, tok.vocabSize(), context, 1e-5f,
                    10000f, tied, false, tok.bosId(), tok.eosId());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        List<String> docs = TextCorpus.read(text);
        List<SampleFile.Sample> all = TextCorpus.encode(docs, tok, context);
        if (all.size() < 2) {
            throw new CommandLine.ParameterException(cl, text + ": " + all.size() + " usable documents; need 2 or more");
        }
        List<List<SampleFile.Sample>> split = TrainingData.split(all, train.valFraction);
        TrainingData tr = new TrainingData(split.get(0), tok.vocabSize(), 0);
        TrainingData va = new TrainingData(split.get(1), tok.vocabSize(), 0);
        main.out.printf("text: %,d documents, %,d train positions, %,d validation; model: dim %d, %d layers, %d/%d"
                + " heads, ffn %d, vocab %d, context %d%s: %,d parameters%n", all.size(), tr.tokens(), va.tokens(),
                dim, layers, heads, kv, hidden, tok.vocabSize(), context, tied ? ", tied head" : "",
                c.parameterCount());
        try (TrainableLlama model = TrainableLlama.of(Initialization.gpt2(c, train.seed))) {
            train.run(cl, model, tr, va, tok, err(), main.out);
        }
        return 0;
    }

    static SentencePieceBpeTokenizer tokenizer(Path p) {
        if (p.toString().endsWith(".gguf")) {
            LoadedModel lm = ModelLoader.load(p);
            if (lm.tokenizer() instanceof SentencePieceBpeTokenizer t) {
                return t;
            }
            throw new IllegalArgumentException(p + ": its vocabulary is not a SentencePiece one");
        }
        return Llama2cLoader.readTokenizer(p);
    }
}
