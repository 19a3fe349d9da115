package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaTensors;
import io.specdec.model.LlamaWeights;
import io.specdec.tensor.WeightTensor;
import io.specdec.model.RopeLayout;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Loads any supported checkpoint into a {@link LoadedModel}: a GGUF file ({@link GgufLoader}), a Hugging Face
 * directory ({@link HfLoader}) or a llama2.c {@code .bin} ({@link Llama2cLoader}), chosen by what the path is (a
 * directory → HF; the GGUF magic → GGUF; otherwise llama2.c). Every loader checks tensor shapes against the config
 * and the tokenizer's vocabulary against the model's, and converts RoPE layouts to half-split.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Loads {@code path}, reporting progress ("read tensor 3/57 ...") to {@code progress} (may be null). */
    public static LoadedModel load(Path path, Consumer<String> progress) {
        Consumer<String> p = progress == null ? s -> { } : progress;
        if (Files.isDirectory(path)) {
            return HfLoader.load(path, p);
        }
        if (!Files.exists(path)) {
            throw new CheckpointException(path + ": no such file or directory");
        }
        if (!Files.isRegularFile(path)) {
            throw new CheckpointException(path + ": not a regular file (a checkpoint is a GGUF or llama2.c file or a"
                    + " Hugging Face directory)");
        }
        if (hasGgufMagic(path)) {
            return GgufLoader.load(path, p);
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            return HfLoader.load(path.toAbsolutePath().getParent(), p);
        }
        if (name.endsWith(".gguf")) {
            return GgufLoader.load(path, p); // reports the bad magic
        }
        return Llama2cLoader.load(path, null, p);
    }

    /** Loads without progress reporting. */
    public static LoadedModel load(Path path) {
        return load(path, null);
    }

    private static boolean hasGgufMagic(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads per-layer tensors by name pattern into canonical {@link LlamaWeights}. */
    static LlamaWeights readWeights(TensorStore s, LlamaConfig c, RopeLayout layout, Names n, Consumer<String> progress) {
        int d = c.dim();
        float[] emb = s.readFloats(n.embedding, c.vocabSize(), d);
        float[] norm = s.readFloats(n.finalNorm, d);
        float[] out = null;
        if (s.find(n.output) != null) {
            out = s.readFloats(n.output, c.vocabSize(), d);
        } else if (!c.tiedEmbeddings()) {
            throw new CheckpointException(s.path() + ": missing tensor '" + n.output + "' (LM head; the config says"
                    + " the embeddings are not tied)");
        }
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            progress.accept("layer " + (i + 1) + "/" + c.layers());
            String pre = n.layerPrefix.replace("{i}", Integer.toString(i));
            layers.add(new LlamaWeights.Layer(
                    s.readFloats(pre + n.attnNorm, d),
                    s.readFloats(pre + n.wq, c.qDim(), d),
                    s.readFloats(pre + n.wk, c.kvDim(), d),
                    s.readFloats(pre + n.wv, c.kvDim(), d),
                    s.readFloats(pre + n.wo, d, c.qDim()),
                    s.readFloats(pre + n.ffnNorm, d),
                    s.readFloats(pre + n.wGate, c.hiddenDim(), d),
                    s.readFloats(pre + n.wUp, c.hiddenDim(), d),
                    s.readFloats(pre + n.wDown, d, c.hiddenDim()),
                    c.qkvBias() ? s.readFloats(pre + n.bq, c.qDim()) : null,
                    c.qkvBias() ? s.readFloats(pre + n.bk, c.kvDim()) : null,
                    c.qkvBias() ? s.readFloats(pre + n.bv, c.kvDim()) : null));
        }
        return new LlamaWeights(c, layout, emb, layers, norm, out).toHalfSplit();
    }

    /**
     * Views every matrix of the checkpoint in its storage format (no data read) after checking its shape, norms and
     * biases read as floats; {@code layout} is the file's q/k RoPE pairing.
     */
    static LlamaTensors readTensors(TensorStore s, LlamaConfig c, RopeLayout layout, Names n) {
        int d = c.dim();
        WeightTensor emb = matrix(s, n.embedding, c.vocabSize(), d);
        float[] norm = s.readFloats(n.finalNorm, d);
        WeightTensor out = null;
        if (s.find(n.output) != null) {
            out = matrix(s, n.output, c.vocabSize(), d);
        } else if (!c.tiedEmbeddings()) {
            throw new CheckpointException(s.path() + ": missing tensor '" + n.output + "' (LM head; the config says"
                    + " the embeddings are not tied)");
        }
        List<LlamaTensors.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String pre = n.layerPrefix.replace("{i}", Integer.toString(i));
            layers.add(new LlamaTensors.Layer(
                    s.readFloats(pre + n.attnNorm, d),
                    matrix(s, pre + n.wq, c.qDim(), d),
                    matrix(s, pre + n.wk, c.kvDim(), d),
                    matrix(s, pre + n.wv, c.kvDim(), d),
                    matrix(s, pre + n.wo, d, c.qDim()),
                    s.readFloats(pre + n.ffnNorm, d),
                    matrix(s, pre + n.wGate, c.hiddenDim(), d),
                    matrix(s, pre + n.wUp, c.hiddenDim(), d),
                    matrix(s, pre + n.wDown, d, c.hiddenDim()),
                    c.qkvBias() ? s.readFloats(pre + n.bq, c.qDim()) : null,
                    c.qkvBias() ? s.readFloats(pre + n.bk, c.kvDim()) : null,
                    c.qkvBias() ? s.readFloats(pre + n.bv, c.kvDim()) : null));
        }
        return new LlamaTensors(c, layout, emb, layers, norm, out);
    }

    private static WeightTensor matrix(TensorStore s, String name, int rows, int cols) {
        TensorInfo t = s.require(name);
        if (!java.util.Arrays.equals(t.shape(), new long[] {rows, cols})) {
            throw new CheckpointException(s.path() + ": tensor '" + name + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + ", expected [" + rows + ", " + cols
                    + "] from the model config");
        }
        try {
            return new WeightTensor(name, t.dtype(), rows, cols, s.bytes(t));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(s.path() + ": " + e.getMessage(), e);
        }
    }

    /** Tensor names of one checkpoint family; {@code layerPrefix} contains "{i}". */
    record Names(String embedding, String finalNorm, String output, String layerPrefix, String attnNorm, String wq,
            String wk, String wv, String wo, String ffnNorm, String wGate, String wUp, String wDown, String bq,
            String bk, String bv) {}

    /** Throws if the tokenizer can produce ids the model has no rows for. */
    static void checkVocab(Path path, Tokenizer t, LlamaConfig c, boolean exact) {
        boolean bad = exact ? t.vocabSize() != c.vocabSize() : t.vocabSize() > c.vocabSize();
        if (bad) {
            throw new CheckpointException(path + ": tokenizer has " + t.vocabSize() + " tokens but the model's"
                    + " embedding has " + c.vocabSize() + " rows (tokenizer/model vocabulary mismatch)");
        }
    }
}
