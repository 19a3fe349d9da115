package io.specdec.io;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import com.google.gson.GsonBuilder;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import io.specdec.model.StreamedWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves {@link LlamaWeights} as a Hugging Face directory ({@code config.json} + {@code model.safetensors}, half-split
 * RoPE layout) or as a GGUF file ({@code llama} architecture, interleaved RoPE layout, optional embedded
 * SentencePiece vocabulary), so that trained drafts and derived models load back through {@link ModelLoader} and
 * into llama.cpp / transformers.
 */
public final class CheckpointWriter {
    private CheckpointWriter() {}

    /** Writes {@code dir/config.json} and {@code dir/model.safetensors} (F32 or F16/BF16 via {@code dtype}). */
    public static void writeHf(LlamaWeights weights, Path dir, GgmlType dtype) throws IOException {
        LlamaWeights w = weights.toHalfSplit();
        LlamaConfig c = w.config();
        Files.createDirectories(dir);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("architectures", List.of(c.qkvBias() ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        cfg.put("model_type", c.qkvBias() ? "qwen2" : "llama");
        cfg.put("hidden_size", c.dim());
        cfg.put("intermediate_size", c.hiddenDim());
        cfg.put("num_hidden_layers", c.layers());
        cfg.put("num_attention_heads", c.heads());
        cfg.put("num_key_value_heads", c.kvHeads());
        cfg.put("head_dim", c.headDim());
        cfg.put("vocab_size", c.vocabSize());
        cfg.put("max_position_embeddings", c.contextLength());
        cfg.put("rms_norm_eps", c.rmsEps());
        cfg.put("rope_theta", c.ropeTheta());
        io.specdec.model.RopeScaling rs = c.ropeScaling();
        if (!rs.type().equals("none")) {
            cfg.put("rope_scaling", hfRopeScaling(rs));
        }
        cfg.put("tie_word_embeddings", w.output() == null);
        cfg.put("bos_token_id", c.bosId());
        cfg.put("eos_token_id", c.eosId());
        cfg.put("hidden_act", "silu");
        cfg.put("torch_dtype", dtype == GgmlType.F32 ? "float32" : dtype == GgmlType.F16 ? "float16" : "bfloat16");
        SafetensorsWriter sw = new SafetensorsWriter().optMetadata("format", "pt");
        ModelLoader.Names n = HfLoader.NAMES;
        long d = c.dim();
        sw.put(n.embedding(), new long[] {c.vocabSize(), d}, w.embedding(), dtype);
        for (int i = 0; i < c.layers(); i++) {
            LlamaWeights.Layer l = w.layers().get(i);
            String p = n.layerPrefix().replace("{i}", Integer.toString(i));
            sw.put(p + n.attnNorm(), new long[] {d}, l.attnNorm(), dtype);
            sw.put(p + n.wq(), new long[] {c.qDim(), d}, l.wq(), dtype);
            sw.put(p + n.wk(), new long[] {c.kvDim(), d}, l.wk(), dtype);
            sw.put(p + n.wv(), new long[] {c.kvDim(), d}, l.wv(), dtype);
            sw.put(p + n.wo(), new long[] {d, c.qDim()}, l.wo(), dtype);
            sw.put(p + n.ffnNorm(), new long[] {d}, l.ffnNorm(), dtype);
            sw.put(p + n.wGate(), new long[] {c.hiddenDim(), d}, l.wGate(), dtype);
            sw.put(p + n.wUp(), new long[] {c.hiddenDim(), d}, l.wUp(), dtype);
            sw.put(p + n.wDown(), new long[] {d, c.hiddenDim()}, l.wDown(), dtype);
            if (c.qkvBias()) {
                sw.put(p + n.bq(), new long[] {c.qDim()}, l.bq(), dtype);
                sw.put(p + n.bk(), new long[] {c.kvDim()}, l.bk(), dtype);
                sw.put(p + n.bv(), new long[] {c.kvDim()}, l.bv(), dtype);
            }
        }
        sw.put(n.finalNorm(), new long[] {d}, w.finalNorm(), dtype);
        if (w.output() != null) {
            sw.put(n.output(), new long[] {c.vocabSize(), d}, w.output(), dtype);
        }
        sw.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(cfg), StandardCharsets.UTF_8);
    }

    /**
     * Writes a GGUF v3 file (architecture {@code llama}, F32 tensors, q/k rows converted to the interleaved layout)
     * with {@code tokenizer} embedded as a {@code llama} vocabulary ({@code null}: no tokenizer keys).
     */
    public static void writeGguf(LlamaWeights weights, SentencePieceBpeTokenizer tokenizer, Path path)
            throws IOException {
        writeGguf(weights, tokenizer, path, GgmlType.F32);
    }

    /**
     * As {@link #writeGguf(LlamaWeights, SentencePieceBpeTokenizer, Path)}, with the matrices (embedding, projections,
     * LM head) stored as {@code matrices}: F32, F16, BF16 or a block type (Q8_0, Q4_0, Q4_K, Q6_K) in llama.cpp's
     * layout, where a matrix whose rows do not divide into blocks falls back as {@code convert quantize} does; norms
     * stay F32, as llama.cpp writes them.
     */
    public static void writeGguf(LlamaWeights weights, SentencePieceBpeTokenizer tokenizer, Path path,
            GgmlType matrices) throws IOException {
        writeGguf((StreamedWeights) weights.toHalfSplit(), tokenizer, path, matrices);
    }

    /**
     * As {@link #writeGguf(LlamaWeights, SentencePieceBpeTokenizer, Path, GgmlType)} from weights handed out a part
     * at a time (half-split layout): one layer is held in memory while it is written, so a 1B cost twin is written
     * with a small heap.
     *
     * @throws IllegalArgumentException for interleaved weights or a q/k/v bias (the llama architecture has none)
     */
    public static void writeGguf(StreamedWeights w, SentencePieceBpeTokenizer tokenizer, Path path,
            GgmlType matrices) throws IOException {
        if (w.layout() != RopeLayout.HALF_SPLIT) {
            throw new IllegalArgumentException("streamed GGUF writing takes half-split weights");
        }
        LlamaConfig c = w.config();
        if (c.qkvBias()) {
            throw new IllegalArgumentException("GGUF writer emits the llama architecture; q/k/v bias is not supported");
        }
        GgufWriter g = new GgufWriter();
        g.putMetadata("general.architecture", "llama");
        g.putMetadata("general.name", "specdec");
        g.putMetadata("llama.context_length", c.contextLength());
        g.putMetadata("llama.embedding_length", c.dim());
        g.putMetadata("llama.block_count", c.layers());
        g.putMetadata("llama.feed_forward_length", c.hiddenDim());
        g.putMetadata("llama.attention.head_count", c.heads());
        g.putMetadata("llama.attention.head_count_kv", c.kvHeads());
        g.putMetadata("llama.attention.key_length", c.headDim());
        g.putMetadata("llama.rope.dimension_count", c.headDim());
        g.putMetadata("llama.attention.layer_norm_rms_epsilon", c.rmsEps());
        g.putMetadata("llama.rope.freq_base", c.ropeTheta());
        putRopeScaling(g, c);
        if (tokenizer != null) {
            int v = tokenizer.vocabSize();
            String[] pieces = new String[v];
            float[] scores = new float[v];
            int[] types = new int[v];
            for (int i = 0; i < v; i++) {
                pieces[i] = tokenizer.piece(i);
                scores[i] = tokenizer.score(i);
                types[i] = tokenizer.type(i);
            }
            g.putMetadata("tokenizer.ggml.model", "llama");
            g.putMetadata("tokenizer.ggml.tokens", pieces);
            g.putMetadata("tokenizer.ggml.scores", scores);
            g.putMetadata("tokenizer.ggml.token_type", types);
            g.putMetadata("tokenizer.ggml.bos_token_id", tokenizer.bosId());
            g.putMetadata("tokenizer.ggml.eos_token_id", tokenizer.eosId());
            g.putMetadata("tokenizer.ggml.unknown_token_id", tokenizer.unkId());
            g.putMetadata("tokenizer.ggml.add_space_prefix", tokenizer.addSpacePrefix());
        }
        if (matrices != GgmlType.F32) {
            g.putMetadataTyped("general.file_type", 4, -1, (long) GgufQuantizer.fileType(matrices));
        }
        ModelLoader.Names n = GgufLoader.NAMES;
        long d = c.dim();
        matrix(g, n.embedding(), new long[] {c.vocabSize(), d}, matrices, w::embedding);
        // one layer in memory at a time: the tensors of layer i are written in order, from one computation of it
        Object[] held = {-1, null};
        java.util.function.IntFunction<LlamaWeights.Layer> layer = i -> {
            if ((int) held[0] != i) {
                held[1] = null;
                held[1] = w.layer(i);
                held[0] = i;
            }
            return (LlamaWeights.Layer) held[1];
        };
        for (int i = 0; i < c.layers(); i++) {
            int li = i;
            String p = n.layerPrefix().replace("{i}", Integer.toString(i));
            g.putTensor(p + n.attnNorm(), new long[] {d}, GgmlType.F32, () -> layer.apply(li).attnNorm());
            matrix(g, p + n.wq(), new long[] {c.qDim(), d}, matrices,
                    () -> LlamaWeights.unpermuteRows(layer.apply(li).wq(), c.heads(), c.headDim(), c.dim()));
            matrix(g, p + n.wk(), new long[] {c.kvDim(), d}, matrices,
                    () -> LlamaWeights.unpermuteRows(layer.apply(li).wk(), c.kvHeads(), c.headDim(), c.dim()));
            matrix(g, p + n.wv(), new long[] {c.kvDim(), d}, matrices, () -> layer.apply(li).wv());
            matrix(g, p + n.wo(), new long[] {d, c.qDim()}, matrices, () -> layer.apply(li).wo());
            g.putTensor(p + n.ffnNorm(), new long[] {d}, GgmlType.F32, () -> layer.apply(li).ffnNorm());
            matrix(g, p + n.wGate(), new long[] {c.hiddenDim(), d}, matrices, () -> layer.apply(li).wGate());
            matrix(g, p + n.wUp(), new long[] {c.hiddenDim(), d}, matrices, () -> layer.apply(li).wUp());
            matrix(g, p + n.wDown(), new long[] {d, c.hiddenDim()}, matrices, () -> layer.apply(li).wDown());
        }
        g.putTensor(n.finalNorm(), new long[] {d}, GgmlType.F32, w::finalNorm);
        if (!c.tiedEmbeddings()) {
            matrix(g, n.output(), new long[] {c.vocabSize(), d}, matrices, w::output);
        }
        g.write(path);
    }

    private static void matrix(GgufWriter g, String name, long[] shape, GgmlType type,
            java.util.function.Supplier<float[]> data) {
        g.putTensor(name, shape, GgufQuantizer.typeFor(shape, type), data);
    }

    /**
     * Writes {@code tokenizer} as a llama2.c {@code tokenizer.bin} (int32 max_token_length, then per token: float32
     * score, int32 byte length, UTF-8 bytes with "▁" as a space; little-endian), which
     * {@link Llama2cLoader#readTokenizer} reads back. The llama2.c layout fixes UNK 0, BOS 1, EOS 2.
     *
     * @throws IllegalArgumentException when the tokenizer's special ids are not 0, 1, 2
     */
    public static void writeLlama2cTokenizer(SentencePieceBpeTokenizer tokenizer, Path path) throws IOException {
        if (tokenizer.unkId() != 0 || tokenizer.bosId() != 1 || tokenizer.eosId() != 2) {
            throw new IllegalArgumentException("llama2.c tokenizers have UNK 0, BOS 1, EOS 2; this one has UNK "
                    + tokenizer.unkId() + ", BOS " + tokenizer.bosId() + ", EOS " + tokenizer.eosId());
        }
        int v = tokenizer.vocabSize();
        byte[][] bytes = new byte[v][];
        int max = 1;
        for (int i = 0; i < v; i++) {
            bytes[i] = tokenizer.piece(i).replace("\u2581", " ").getBytes(StandardCharsets.UTF_8);
            max = Math.max(max, bytes[i].length);
        }
        final int maxLen = max;
        AtomicFiles.write(path, os -> {
            java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(os));
            out.writeInt(Integer.reverseBytes(maxLen));
            for (int i = 0; i < v; i++) {
                out.writeInt(Integer.reverseBytes(Float.floatToIntBits(tokenizer.score(i))));
                out.writeInt(Integer.reverseBytes(bytes[i].length));
                out.write(bytes[i]);
            }
            out.flush();
        });
    }

    /** config.json's {@code rope_scaling} for a scaling (transformers' names). */
    private static Map<String, Object> hfRopeScaling(io.specdec.model.RopeScaling rs) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (rs.type()) {
            case "linear":
                m.put("rope_type", "linear");
                m.put("factor", rs.factor());
                break;
            case "llama3":
                m.put("rope_type", "llama3");
                m.put("factor", rs.factor());
                m.put("original_max_position_embeddings", rs.originalContext());
                m.put("low_freq_factor", rs.lowFreqFactor());
                m.put("high_freq_factor", rs.highFreqFactor());
                break;
            case "yarn":
                m.put("rope_type", "yarn");
                m.put("factor", rs.factor());
                m.put("original_max_position_embeddings", rs.originalContext());
                m.put("beta_fast", rs.betaFast());
                m.put("beta_slow", rs.betaSlow());
                if (rs.attention() > 0) {
                    m.put("attention_factor", rs.attention());
                }
                break;
            default:
                throw new IllegalArgumentException("RoPE frequency factors (GGUF rope_freqs) have no config.json form;"
                        + " write GGUF instead");
        }
        return m;
    }

    /**
     * GGUF's form of the scaling: llama.cpp's keys for linear and yarn; Llama-3's scaling as the per-frequency
     * divisors tensor {@code rope_freqs.weight} that llama.cpp's converter writes.
     */
    private static void putRopeScaling(GgufWriter g, LlamaConfig c) {
        io.specdec.model.RopeScaling rs = c.ropeScaling();
        switch (rs.type()) {
            case "none":
                return;
            case "linear":
                g.putMetadata("llama.rope.scaling.type", "linear");
                g.putMetadata("llama.rope.scaling.factor", (float) rs.factor());
                return;
            case "yarn":
                g.putMetadata("llama.rope.scaling.type", "yarn");
                g.putMetadata("llama.rope.scaling.factor", (float) rs.factor());
                g.putMetadata("llama.rope.scaling.original_context_length", rs.originalContext());
                g.putMetadata("llama.rope.scaling.yarn_beta_fast", (float) rs.betaFast());
                g.putMetadata("llama.rope.scaling.yarn_beta_slow", (float) rs.betaSlow());
                if (rs.attention() > 0) {
                    g.putMetadata("llama.rope.scaling.attn_factor", (float) rs.attention());
                }
                return;
            default: {
                int half = c.headDim() / 2;
                double[] base = new double[half];
                for (int j = 0; j < half; j++) {
                    base[j] = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * j) / (double) c.headDim()));
                }
                double[] inv = rs.apply(c.ropeTheta(), c.headDim(), base);
                float[] div = new float[half];
                for (int j = 0; j < half; j++) {
                    div[j] = (float) (base[j] / inv[j]);
                }
                g.putTensor("rope_freqs.weight", new long[] {half}, div);
            }
        }
    }
}
