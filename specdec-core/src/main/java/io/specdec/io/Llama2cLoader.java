package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaTensors;
import io.specdec.model.RopeLayout;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Loads karpathy/llama2.c legacy (version 0) checkpoints: a header of seven int32 ({@code dim, hidden_dim,
 * n_layers, n_heads, n_kv_heads, vocab_size, seq_len}; a negative vocab_size means an unshared classifier follows),
 * then float32 tensors in {@code run.c}'s {@code memory_map_weights} order. Its tokenizer file
 * ({@code tokenizer.bin}: int32 max_token_length, then per token float score, int32 length, bytes) is found next to
 * the checkpoint as {@code tok<vocab>.bin} or {@code tokenizer.bin} unless given. The file size must match the
 * header exactly. Pieces' spaces are stored as "▁" internally; llama2.c's dummy-prefix rule applies.
 */
public final class Llama2cLoader {
    private static final int HEADER = 28;

    private Llama2cLoader() {}

    /** Loads a checkpoint; {@code tokenizerPath} may be null to search next to it. */
    public static LoadedModel load(Path path, Path tokenizerPath, Consumer<String> progress) {
        Store s = new Store(path);
        try {
            LlamaConfig c = s.config;
            Path tp = tokenizerPath != null ? tokenizerPath : findTokenizer(path, c.vocabSize());
            Tokenizer tok = readTokenizer(tp, c.vocabSize());
            LlamaTensors t = ModelLoader.readTensors(s, c, RopeLayout.INTERLEAVED, GgufLoader.NAMES);
            return new LoadedModel(path, "llama2c", c, t, tok, s, GgufLoader.NAMES);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static Path findTokenizer(Path model, int vocab) {
        Path dir = model.toAbsolutePath().getParent();
        for (String n : new String[] {"tok" + vocab + ".bin", "tokenizer.bin"}) {
            if (Files.isRegularFile(dir.resolve(n))) {
                return dir.resolve(n);
            }
        }
        throw new CheckpointException(model + ": no tokenizer found next to it (looked for tok" + vocab
                + ".bin and tokenizer.bin)");
    }

    /**
     * Reads a llama2.c {@code tokenizer.bin} on its own: the vocabulary is every entry up to the end of the file (the
     * format stores no count; a model file fixes it otherwise).
     */
    public static SentencePieceBpeTokenizer readTokenizer(Path path) {
        int n = 0;
        try (MappedFile f = new MappedFile(path)) {
            ByteBuffer b = f.map(0, f.size(), "tokenizer");
            if (b.remaining() < 4) {
                throw new CheckpointException(path + ": truncated tokenizer file");
            }
            b.getInt();
            while (b.remaining() > 0) {
                if (b.remaining() < 8) {
                    throw new CheckpointException(path + ": truncated after token " + n + " (" + b.remaining()
                            + " stray bytes)");
                }
                b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) {
                    throw new CheckpointException(path + ": token " + n + " has length " + len + " ("
                            + b.remaining() + " bytes left)");
                }
                b.position(b.position() + len);
                n++;
            }
        }
        if (n < 3) {
            throw new CheckpointException(path + ": " + n + " tokens; a llama2.c vocabulary needs UNK, BOS and EOS");
        }
        return readTokenizer(path, n);
    }

    /** Reads a llama2.c {@code tokenizer.bin} for a model with {@code vocab} tokens (BOS 1, EOS 2, UNK 0). */
    public static SentencePieceBpeTokenizer readTokenizer(Path path, int vocab) {
        try (MappedFile f = new MappedFile(path)) {
            ByteBuffer b = f.map(0, f.size(), "tokenizer");
            if (b.remaining() < 4) {
                throw new CheckpointException(path + ": truncated tokenizer file");
            }
            int maxLen = b.getInt();
            if (maxLen <= 0 || maxLen > 1 << 16) {
                throw new CheckpointException(path + ": max_token_length " + maxLen + " is impossible");
            }
            String[] pieces = new String[vocab];
            float[] scores = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                if (b.remaining() < 8) {
                    throw new CheckpointException(path + ": truncated at token " + i + " of " + vocab
                            + " (tokenizer/model vocabulary mismatch?)");
                }
                scores[i] = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > maxLen || len > b.remaining()) {
                    throw new CheckpointException(path + ": token " + i + " has length " + len + " (max "
                            + maxLen + ", " + b.remaining() + " bytes left)");
                }
                byte[] s = new byte[len];
                b.get(s);
                pieces[i] = new String(s, StandardCharsets.UTF_8).replace(" ", "\u2581");
            }
            if (b.remaining() != 0) {
                throw new CheckpointException(path + ": " + b.remaining() + " bytes left after " + vocab
                        + " tokens: the tokenizer has more tokens than the model (vocabulary mismatch)");
            }
            return new SentencePieceBpeTokenizer(pieces, scores, null, 1, 2, 0, true);
        }
    }

    /** The checkpoint's tensors, exposed under GGUF names, per layer. */
    static final class Store implements TensorStore {
        private final MappedFile file;
        final LlamaConfig config;
        private final Map<String, TensorInfo> infos = new LinkedHashMap<>();

        Store(Path path) {
            file = new MappedFile(path);
            try {
                if (file.size() < HEADER) {
                    throw new CheckpointException(path + ": truncated llama2.c checkpoint (" + file.size()
                            + " bytes, header needs " + HEADER + ")");
                }
                ByteBuffer h = file.map(0, HEADER, "header");
                int dim = h.getInt();
                int hidden = h.getInt();
                int layers = h.getInt();
                int heads = h.getInt();
                int kvHeads = h.getInt();
                int vocab = h.getInt();
                int seq = h.getInt();
                if (dim == 0x616b3432) {
                    throw new CheckpointException(path + ": llama2.c versioned export (magic 'ak42') is not supported;"
                            + " use the legacy format or GGUF");
                }
                boolean shared = vocab > 0;
                vocab = Math.abs(vocab);
                if (heads <= 0 || dim % heads != 0) {
                    throw new CheckpointException(path + ": header n_heads " + heads + " does not divide dim " + dim
                            + " (not a llama2.c checkpoint?)");
                }
                try {
                    config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, dim / heads, vocab, seq, 1e-5f,
                            10000f, shared, false, 1, 2);
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(path + ": header " + e.getMessage() + " (not a llama2.c checkpoint?)",
                            e);
                }
                int hs = dim / heads;
                long off = HEADER;
                off = put("token_embd.weight", off, vocab, dim);
                long attNorm = off;
                off += 4L * layers * dim;
                long wq = off;
                off += 4L * layers * dim * config.qDim();
                long wk = off;
                off += 4L * layers * dim * config.kvDim();
                long wv = off;
                off += 4L * layers * dim * config.kvDim();
                long wo = off;
                off += 4L * layers * config.qDim() * dim;
                long ffnNorm = off;
                off += 4L * layers * dim;
                long w1 = off;
                off += 4L * layers * dim * hidden;
                long w2 = off;
                off += 4L * layers * hidden * dim;
                long w3 = off;
                off += 4L * layers * dim * hidden;
                for (int i = 0; i < layers; i++) {
                    String p = "blk." + i + ".";
                    put(p + "attn_norm.weight", attNorm + 4L * i * dim, dim);
                    put(p + "attn_q.weight", wq + 4L * i * dim * config.qDim(), config.qDim(), dim);
                    put(p + "attn_k.weight", wk + 4L * i * dim * config.kvDim(), config.kvDim(), dim);
                    put(p + "attn_v.weight", wv + 4L * i * dim * config.kvDim(), config.kvDim(), dim);
                    put(p + "attn_output.weight", wo + 4L * i * config.qDim() * dim, dim, config.qDim());
                    put(p + "ffn_norm.weight", ffnNorm + 4L * i * dim, dim);
                    put(p + "ffn_gate.weight", w1 + 4L * i * dim * hidden, hidden, dim);
                    put(p + "ffn_down.weight", w2 + 4L * i * hidden * dim, dim, hidden);
                    put(p + "ffn_up.weight", w3 + 4L * i * dim * hidden, hidden, dim);
                }
                off = put("output_norm.weight", off, dim);
                off += 4L * seq * hs; // legacy freq_cis_real + freq_cis_imag, unused
                if (!shared) {
                    off = put("output.weight", off, vocab, dim);
                }
                if (off != file.size()) {
                    throw new CheckpointException(path + ": header describes " + off + " bytes but the file has "
                            + file.size() + (off > file.size() ? " (truncated)" : " (trailing data or wrong header)"));
                }
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
        }

        private long put(String name, long off, long... shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            infos.put(name, new TensorInfo(name, shape, GgmlType.F32, off, 4 * n));
            return off + 4 * n;
        }

        @Override
        public Path path() {
            return file.path();
        }

        @Override
        public Collection<TensorInfo> tensors() {
            return infos.values();
        }

        @Override
        public TensorInfo find(String name) {
            return infos.get(name);
        }

        @Override
        public java.nio.ByteBuffer bytes(TensorInfo t) {
            return file.slice(t.offset(), t.byteSize(), "tensor '" + t.name() + "'");
        }

        @Override
        public AutoCloseable retain() {
            return file.retain();
        }

        @Override
        public float[] readFloats(TensorInfo t) {
            return file.readFloats(t);
        }

        @Override
        public void close() {
            file.close();
        }
    }

    /** Opens a llama2.c checkpoint as a tensor store (for {@code inspect}). */
    public static TensorStore open(Path path) {
        return new Store(path);
    }

    /** The config a llama2.c header describes. */
    public static LlamaConfig config(Path path) {
        try (Store s = new Store(path)) {
            return s.config;
        }
    }

}
