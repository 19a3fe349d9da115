package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaTensors;
import io.specdec.model.RopeLayout;
import io.specdec.tokenizer.Gpt2BpeTokenizer;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Loads a Llama-family GGUF file (architectures {@code llama}, {@code mistral}: interleaved RoPE; {@code qwen2}: q/k/v
 * bias and neox (half-split) RoPE) with its embedded tokenizer ({@code llama} SentencePiece BPE or {@code gpt2}
 * byte-level BPE). Keys follow llama.cpp's {@code LLM_KV_*} names.
 */
public final class GgufLoader {
    private GgufLoader() {}

    static final ModelLoader.Names NAMES = new ModelLoader.Names("token_embd.weight", "output_norm.weight",
            "output.weight", "blk.{i}.", "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
            "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
            "attn_q.bias", "attn_k.bias", "attn_v.bias");

    /** Loads config, weights and tokenizer from a GGUF file. */
    public static LoadedModel load(Path path, Consumer<String> progress) {
        GgufFile g = GgufFile.open(path);
        try {
            progress.accept("GGUF v" + g.version() + ", " + g.tensors().size() + " tensors");
            Tokenizer tok = tokenizer(g);
            LlamaConfig c = config(g, tok);
            ModelLoader.checkVocab(path, tok, c, true);
            String arch = g.getString("general.architecture");
            RopeLayout layout = arch.equals("qwen2") ? RopeLayout.HALF_SPLIT : RopeLayout.INTERLEAVED;
            LlamaTensors t = ModelLoader.readTensors(g, c, layout, NAMES);
            return new LoadedModel(path, "gguf", c, t, tok, g, NAMES);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Builds the config from {@code <arch>.*} metadata; the vocabulary size is the embedding's row count. */
    public static LlamaConfig config(GgufFile g, Tokenizer tok) {
        String arch = g.getString("general.architecture");
        if (!arch.equals("llama") && !arch.equals("mistral") && !arch.equals("qwen2")) {
            throw new CheckpointException(g.path() + ": unsupported architecture '" + arch
                    + "' (supported: llama, mistral, qwen2)");
        }
        int dim = intKey(g, arch + ".embedding_length");
        int heads = intKey(g, arch + ".attention.head_count");
        int kvHeads = (int) g.getLong(arch + ".attention.head_count_kv", heads);
        int headDim = (int) g.getLong(arch + ".attention.key_length", g.getLong(arch + ".rope.dimension_count",
                heads == 0 ? 0 : dim / heads));
        TensorInfo emb = g.require("token_embd.weight");
        if (emb.shape().length != 2) {
            throw new CheckpointException(g.path() + ": token_embd.weight must be 2-D, found shape "
                    + java.util.Arrays.toString(emb.shape()));
        }
        int vocab = (int) emb.shape()[0];
        int bos = tok == null ? -1 : tok.bosId();
        int eos = tok == null ? -1 : tok.eosId();
        try {
            return new LlamaConfig(dim, intKey(g, arch + ".feed_forward_length"), intKey(g, arch + ".block_count"),
                    heads, kvHeads, headDim, vocab, intKey(g, arch + ".context_length"),
                    (float) g.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5),
                    (float) g.getDouble(arch + ".rope.freq_base", 10000.0), g.find("output.weight") == null,
                    arch.equals("qwen2"), bos, eos, ropeScaling(g, arch));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(g.path() + ": " + e.getMessage(), e);
        }
    }

    /**
     * RoPE scaling from GGUF: {@code <arch>.rope.scaling.type} ({@code none}, {@code linear}, {@code yarn}) with
     * {@code .factor} (or the older {@code <arch>.rope.scale_linear}), {@code .original_context_length},
     * {@code .yarn_beta_fast}/{@code .yarn_beta_slow} and {@code .attn_factor}; Llama-3.1 files carry the llama3
     * scaling as per-frequency divisors in the {@code rope_freqs.weight} tensor (as llama.cpp's converter writes them).
     */
    static io.specdec.model.RopeScaling ropeScaling(GgufFile g, String arch) {
        String p = arch + ".rope.scaling.";
        String type = g.getString(p + "type", g.has(arch + ".rope.scale_linear") ? "linear" : "none");
        try {
            TensorInfo freqs = g.find("rope_freqs.weight");
            if (freqs != null) {
                if (!type.equals("none")) {
                    throw new CheckpointException(g.path() + ": both rope_freqs.weight and " + p + "type = '" + type
                            + "'; expected one of them");
                }
                return io.specdec.model.RopeScaling.factors(g.readFloats(freqs));
            }
            switch (type) {
                case "none":
                    return io.specdec.model.RopeScaling.NONE;
                case "linear": // the factor (e.g. 4), under its newer key or the older scale_linear
                    return io.specdec.model.RopeScaling.linear(g.getDouble(p + "factor",
                            g.getDouble(arch + ".rope.scale_linear", 1)));
                case "yarn":
                    return io.specdec.model.RopeScaling.yarn(g.getDouble(p + "factor", 1),
                            (int) g.getLong(p + "original_context_length", 0), g.getDouble(p + "yarn_beta_fast", 32),
                            g.getDouble(p + "yarn_beta_slow", 1), g.has(p + "attn_factor")
                                    ? g.getDouble(p + "attn_factor", 1) : 0);
                default:
                    throw new CheckpointException(g.path() + ": " + p + "type = '" + type + "' is not supported"
                            + " (supported: none, linear, yarn, and rope_freqs.weight)");
            }
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(g.path() + ": rope scaling: " + e.getMessage(), e);
        }
    }

    private static int intKey(GgufFile g, String key) {
        long v = g.getLong(key);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new CheckpointException(g.path() + ": metadata '" + key + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    /** The tokenizer embedded in a GGUF file ({@code tokenizer.ggml.*}). */
    public static Tokenizer tokenizer(GgufFile g) {
        String model = g.getString("tokenizer.ggml.model");
        String[] tokens = g.getStringArray("tokenizer.ggml.tokens");
        int[] types = null;
        if (g.has("tokenizer.ggml.token_type")) {
            long[] t = g.getLongArray("tokenizer.ggml.token_type");
            if (t.length != tokens.length) {
                throw new CheckpointException(g.path() + ": tokenizer.ggml.token_type has " + t.length
                        + " entries, tokens has " + tokens.length);
            }
            types = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                types[i] = (int) t[i];
            }
        }
        int bos = (int) g.getLong("tokenizer.ggml.bos_token_id", -1);
        int eos = (int) g.getLong("tokenizer.ggml.eos_token_id", -1);
        for (int id : new int[] {bos, eos}) {
            if (id >= tokens.length) {
                throw new CheckpointException(g.path() + ": special token id " + id + " outside the vocabulary of "
                        + tokens.length);
            }
        }
        String name = g.has("general.name") ? g.getString("general.name").toLowerCase(java.util.Locale.ROOT) : "";
        boolean phi3 = name.contains("phi-3") || name.contains("phi3"); // llama.cpp: rstrip after Phi-3's specials
        io.specdec.tokenizer.SpecialTokens specials = io.specdec.tokenizer.SpecialTokens
                .fromTypes(tokens, types, phi3)
                .withEndOfGeneration(tokens, eos, (int) g.getLong("tokenizer.ggml.eot_token_id", -1),
                        (int) g.getLong("tokenizer.ggml.eom_token_id", -1));
        switch (model) {
            case "llama": {
                double[] s = g.getDoubleArray("tokenizer.ggml.scores");
                if (s.length != tokens.length) {
                    throw new CheckpointException(g.path() + ": tokenizer.ggml.scores has " + s.length
                            + " entries, tokens has " + tokens.length);
                }
                float[] scores = new float[s.length];
                for (int i = 0; i < s.length; i++) {
                    scores[i] = (float) s[i];
                }
                int unk = (int) g.getLong("tokenizer.ggml.unknown_token_id", 0);
                return new SentencePieceBpeTokenizer(tokens, scores, types, bos, eos, unk,
                        g.getBoolean("tokenizer.ggml.add_space_prefix", true), specials,
                        g.getBoolean("tokenizer.ggml.add_bos_token", true));
            }
            case "gpt2": {
                io.specdec.tokenizer.PreTokenizer pre;
                try {
                    pre = io.specdec.tokenizer.PreTokenizer.named(
                            g.has("tokenizer.ggml.pre") ? g.getString("tokenizer.ggml.pre") : null);
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(g.path() + ": tokenizer.ggml.pre: " + e.getMessage());
                }
                return new Gpt2BpeTokenizer(tokens, g.getStringArray("tokenizer.ggml.merges"), types, bos, eos, pre,
                        specials, g.getBoolean("tokenizer.ggml.add_bos_token", pre.addBos()));
            }
            default:
                throw new CheckpointException(g.path() + ": unsupported tokenizer.ggml.model '" + model
                        + "' (supported: llama, gpt2)");
        }
    }
}
