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
    @Option(names = "--init", paramLabel = "FILE.gguf", description = "fine-tune this model instead of training from"
            + " scratch (its shape wins over --dim, --model-layers, --heads, --kv-heads, --hidden-dim,"
            + " --tie-embeddings; --context resizes it); rows for tokens the tokenizer adds start at the mean row")
    Path init;
    @Option(names = "--add-special", paramLabel = "TOKEN[,TOKEN...]", split = ",", description = "append these control"
            + " tokens to the tokenizer (e.g. <|im_start|>,<|im_end|>); the text's occurrences become single tokens")
    List<String> addSpecial = new java.util.ArrayList<>();
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
        SentencePieceBpeTokenizer tok = withSpecials(tokenizer(tokenizer), addSpecial);
        LlamaConfig c;
        io.specdec.model.LlamaWeights start = null;
        if (init != null) {
            LoadedModel lm = ModelLoader.load(init);
            start = extendVocab(lm.weights().withContextLength(context), tok.vocabSize());
            c = start.config();
            dim = c.dim();
            layers = c.layers();
            heads = c.heads();
            kv = c.kvHeads();
            hidden = c.hiddenDim();
            tied = start.output() == null;
        } else {
            try {
                c = new LlamaConfig(dim, hidden, layers, heads, kv, dim / heads, tok.vocabSize(), context, 1e-5f,
                        10000f, tied, false, tok.bosId(), tok.eosId());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        List<String> docs = TextCorpus.read(text);
        List<SampleFile.Sample> all = TextCorpus.encode(docs, tok, context, !addSpecial.isEmpty());
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
        try (TrainableLlama model = TrainableLlama.of(start != null ? start : Initialization.gpt2(c, train.seed))) {
            train.run(cl, model, tr, va, tok, err(), main.out);
        }
        return 0;
    }

    /** {@code t} with {@code extra} appended as control tokens (GGUF type 3), matched in text when parsing specials. */
    static SentencePieceBpeTokenizer withSpecials(SentencePieceBpeTokenizer t, List<String> extra) {
        if (extra.isEmpty()) {
            return t;
        }
        int n = t.vocabSize();
        String[] pieces = new String[n + extra.size()];
        float[] scores = new float[pieces.length];
        int[] types = new int[pieces.length];
        for (int i = 0; i < n; i++) {
            pieces[i] = t.piece(i);
            scores[i] = t.score(i);
            types[i] = t.type(i);
        }
        for (int i = 0; i < extra.size(); i++) {
            String s = extra.get(i).strip();
            for (int j = 0; j < n + i; j++) {
                if (pieces[j].equals(s)) {
                    throw new IllegalArgumentException("--add-special: '" + s + "' is already token " + j);
                }
            }
            if (s.isEmpty()) {
                throw new IllegalArgumentException("--add-special: empty token");
            }
            pieces[n + i] = s;
            scores[n + i] = 0f;
            types[n + i] = SentencePieceBpeTokenizer.TYPE_CONTROL;
        }
        return new SentencePieceBpeTokenizer(pieces, scores, types, t.bosId(), t.eosId(), t.unkId(),
                t.addSpacePrefix(), io.specdec.tokenizer.SpecialTokens.fromTypes(pieces, types, false)
                        .withEndOfGeneration(pieces, t.eosId()));
    }

    /**
     * {@code w} with its embedding (and untied LM head) grown to {@code vocab} rows, each new row the mean of the old
     * ones (so a new token starts where an average token is, and its logit near the average).
     */
    static io.specdec.model.LlamaWeights extendVocab(io.specdec.model.LlamaWeights w, int vocab) {
        LlamaConfig c = w.config();
        if (vocab == c.vocabSize()) {
            return w;
        }
        if (vocab < c.vocabSize()) {
            throw new IllegalArgumentException("--init model has " + c.vocabSize() + " tokens, the tokenizer "
                    + vocab + "; a tokenizer may only add tokens");
        }
        LlamaConfig n = new LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), vocab,
                c.contextLength(), c.rmsEps(), c.ropeTheta(), c.tiedEmbeddings(), c.qkvBias(), c.bosId(), c.eosId(),
                c.ropeScaling());
        return new io.specdec.model.LlamaWeights(n, w.layout(), grow(w.embedding(), c.vocabSize(), vocab, c.dim()),
                w.layers(), w.finalNorm(), w.output() == null ? null : grow(w.output(), c.vocabSize(), vocab, c.dim()));
    }

    private static float[] grow(float[] rows, int old, int vocab, int dim) {
        float[] out = java.util.Arrays.copyOf(rows, vocab * dim);
        float[] mean = new float[dim];
        for (int r = 0; r < old; r++) {
            for (int d = 0; d < dim; d++) {
                mean[d] += rows[r * dim + d] / old;
            }
        }
        for (int r = old; r < vocab; r++) {
            System.arraycopy(mean, 0, out, r * dim, dim);
        }
        return out;
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
