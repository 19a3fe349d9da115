package io.specdec.io;

import io.specdec.format.JsonText;
import io.specdec.format.CheckpointException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaTensors;
import io.specdec.model.RopeLayout;
import io.specdec.tokenizer.HfTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Loads a Hugging Face model directory: {@code config.json} ({@code LlamaForCausalLM}, {@code MistralForCausalLM},
 * {@code Qwen2ForCausalLM}), {@code model.safetensors} or the shards named by {@code model.safetensors.index.json},
 * and {@code tokenizer.json}. Weights are memory-mapped and widened from F16/BF16 in Java. HF q/k projections are
 * already in the half-split RoPE layout.
 */
public final class HfLoader {
    private HfLoader() {}

    static final ModelLoader.Names NAMES = new ModelLoader.Names("model.embed_tokens.weight", "model.norm.weight",
            "lm_head.weight", "model.layers.{i}.", "input_layernorm.weight", "self_attn.q_proj.weight",
            "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
            "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
            "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias");

    /** Loads a model directory. */
    public static LoadedModel load(Path dir, Consumer<String> progress) {
        LlamaConfig c = config(dir.resolve("config.json"));
        TensorStore store = openWeights(dir);
        try {
            progress.accept(store.tensors().size() + " tensors");
            Tokenizer tok = null;
            Path tj = dir.resolve("tokenizer.json");
            if (Files.isRegularFile(tj)) {
                tok = HfTokenizer.load(tj, c.bosId(), c.eosId());
                ModelLoader.checkVocab(dir, tok, c, false);
            }
            LlamaTensors t = ModelLoader.readTensors(store, c, RopeLayout.HALF_SPLIT, NAMES);
            return new LoadedModel(dir, "hf", c, t, tok, store, NAMES);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Opens {@code model.safetensors} or every shard listed in {@code model.safetensors.index.json}. */
    public static TensorStore openWeights(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonObject root = readJson(index);
            if (!root.has("weight_map") || !root.get("weight_map").isJsonObject()) {
                throw new CheckpointException(index + ": no 'weight_map' object");
            }
            Set<String> files = new LinkedHashSet<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("weight_map").entrySet()) {
                if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
                    throw new CheckpointException(index + ": weight_map['" + e.getKey() + "']: expected a shard file"
                            + " name, found " + e.getValue());
                }
                String f = e.getValue().getAsString();
                if (f.contains("/") || f.contains("\\") || f.startsWith(".")) {
                    throw new CheckpointException(index + ": shard name '" + f + "' for '" + e.getKey()
                            + "' must be a plain file name");
                }
                files.add(f);
            }
            List<TensorStore> parts = new ArrayList<>();
            try {
                for (String f : files) {
                    parts.add(SafetensorsFile.open(dir.resolve(f)));
                }
            } catch (RuntimeException e) {
                parts.forEach(TensorStore::close);
                throw e;
            }
            CompositeTensorStore s = new CompositeTensorStore(dir, parts);
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("weight_map").entrySet()) {
                if (s.find(e.getKey()) == null) {
                    s.close();
                    throw new CheckpointException(index + ": tensor '" + e.getKey() + "' is mapped to "
                            + e.getValue().getAsString() + " but that shard does not contain it");
                }
            }
            return s;
        }
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        throw new CheckpointException(dir + ": neither model.safetensors nor model.safetensors.index.json found");
    }

    /**
     * Parses {@code config.json} into a config; rejects unsupported architectures and RoPE scaling. Every field is
     * read with its type and range checked (integers must be exact and fit, e.g. {@code 4294967304} is an error, not
     * 8); errors name the file, the key and expected vs found.
     */
    public static LlamaConfig config(Path configJson) {
        JsonObject o = readJson(configJson);
        ConfigReader r = new ConfigReader(configJson, o);
        String type = r.string("model_type", "llama");
        if (!type.equals("llama") && !type.equals("mistral") && !type.equals("qwen2")) {
            throw new CheckpointException(configJson + ": unsupported model_type '" + type
                    + "' (supported: llama, mistral, qwen2)");
        }
        int dim = r.integer("hidden_size", null, 1, 1 << 16);
        int heads = r.integer("num_attention_heads", null, 1, 1 << 10);
        int kv = r.integer("num_key_value_heads", heads, 1, heads);
        if (dim % heads != 0 && !o.has("head_dim")) {
            throw new CheckpointException(configJson + ": hidden_size " + dim + " is not a multiple of"
                    + " num_attention_heads " + heads + " (and no head_dim is given)");
        }
        int headDim = r.integer("head_dim", dim / heads, 2, 1 << 12);
        boolean tied = r.bool("tie_word_embeddings", type.equals("qwen2"));
        try {
            return new LlamaConfig(dim, r.integer("intermediate_size", null, 1, 1 << 18),
                    r.integer("num_hidden_layers", null, 1, 1 << 10), heads, kv, headDim,
                    r.integer("vocab_size", null, 1, 1 << 22), r.integer("max_position_embeddings", 2048, 1, 1 << 24),
                    r.number("rms_norm_eps", 1e-6f, 0f, 1f), r.number("rope_theta", 10000f, 1f, 1e12f), tied,
                    type.equals("qwen2"), r.tokenId("bos_token_id"), r.tokenId("eos_token_id"),
                    ropeScaling(configJson, o, r.integer("max_position_embeddings", 2048, 1, 1 << 24)));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Typed, range-checked reads of one JSON object; errors name the file and key. */
    /**
     * {@code rope_scaling} of config.json: {@code null}/absent or type {@code default} → none; {@code linear},
     * {@code llama3} and {@code yarn} with their parameters (transformers' names and defaults); anything else is an
     * error naming the key and the supported types.
     */
    static io.specdec.model.RopeScaling ropeScaling(Path configJson, JsonObject o, int maxPositions) {
        if (!o.has("rope_scaling") || o.get("rope_scaling").isJsonNull()) {
            return io.specdec.model.RopeScaling.NONE;
        }
        if (!o.get("rope_scaling").isJsonObject()) {
            throw new CheckpointException(configJson + ": rope_scaling: expected an object, found "
                    + o.get("rope_scaling"));
        }
        JsonObject rs = o.getAsJsonObject("rope_scaling");
        ConfigReader r = new ConfigReader(configJson, rs);
        String type = rs.has("rope_type") ? r.string("rope_type", null) : r.string("type", "default");
        if (!type.equals("default") && !rs.has("factor")) {
            throw new CheckpointException(configJson + ": rope_scaling of type '" + type + "' has no 'factor'");
        }
        try {
            switch (type) {
                case "default":
                    return io.specdec.model.RopeScaling.NONE;
                case "linear":
                    return io.specdec.model.RopeScaling.linear(r.number("factor", Float.NaN, 1f, 1e6f));
                case "llama3":
                    return io.specdec.model.RopeScaling.llama3(r.number("factor", Float.NaN, 1f, 1e6f),
                            r.integer("original_max_position_embeddings", null, 1, 1 << 24),
                            r.number("low_freq_factor", 1f, 1e-6f, 1e6f), r.number("high_freq_factor", 4f, 1e-6f,
                                    1e6f));
                case "yarn": {
                    float factor = r.number("factor", Float.NaN, 1f, 1e6f);
                    double attention = 0;
                    if (rs.has("attention_factor") && !rs.get("attention_factor").isJsonNull()) {
                        attention = r.number("attention_factor", Float.NaN, 1e-6f, 1e6f);
                    } else if (rs.has("mscale") && rs.has("mscale_all_dim")) {
                        float ms = r.number("mscale", 1f, 0f, 1e6f);
                        float all = r.number("mscale_all_dim", 0f, 0f, 1e6f);
                        attention = yarnMscale(factor, ms) / yarnMscale(factor, all);
                    }
                    return io.specdec.model.RopeScaling.yarn(factor,
                            r.integer("original_max_position_embeddings", maxPositions, 1, 1 << 24),
                            r.number("beta_fast", 32f, 1e-6f, 1e6f), r.number("beta_slow", 1f, 1e-6f, 1e6f),
                            attention);
                }
                default:
                    throw new CheckpointException(configJson + ": rope_scaling type '" + type + "' is not supported"
                            + " (supported: default, linear, llama3, yarn)");
            }
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(configJson + ": rope_scaling: " + e.getMessage(), e);
        }
    }

    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
    }

    private record ConfigReader(Path file, JsonObject o) {
        private CheckpointException bad(String key, String expected) {
            String found = o.has(key) ? String.valueOf(o.get(key)) : "nothing";
            if (found.length() > 60) {
                found = found.substring(0, 57) + "...";
            }
            return new CheckpointException(file + ": " + key + ": expected " + expected + ", found " + found);
        }

        private boolean present(String key) {
            return o.has(key) && !o.get(key).isJsonNull();
        }

        int integer(String key, Integer def, int min, int max) {
            if (!present(key)) {
                if (def == null) {
                    throw new CheckpointException(file + ": missing key '" + key + "'");
                }
                return def;
            }
            Long v = JsonText.exactInteger(o.get(key), min, max);
            if (v == null) {
                throw bad(key, "an integer in " + min + ".." + max);
            }
            return v.intValue();
        }

        float number(String key, float def, float min, float max) {
            if (!present(key)) {
                return def;
            }
            JsonElement e = o.get(key);
            String expected = "a number in [" + min + ", " + max + "]";
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw bad(key, expected);
            }
            double v = e.getAsDouble();
            if (!(v >= min && v <= max)) {
                throw bad(key, expected);
            }
            return (float) v;
        }

        boolean bool(String key, boolean def) {
            if (!present(key)) {
                return def;
            }
            JsonElement e = o.get(key);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw bad(key, "true or false");
            }
            return e.getAsBoolean();
        }

        String string(String key, String def) {
            if (!o.has(key)) {
                return def;
            }
            JsonElement e = o.get(key);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw bad(key, "a string");
            }
            return e.getAsString();
        }

        /** A token id, or the first of a list of them; -1 when absent. */
        int tokenId(String key) {
            if (!present(key)) {
                return -1;
            }
            JsonElement e = o.get(key);
            if (e.isJsonArray()) {
                if (e.getAsJsonArray().isEmpty()) {
                    throw bad(key, "a token id or a non-empty list of them");
                }
                JsonObject one = new JsonObject();
                one.add(key, e.getAsJsonArray().get(0));
                return new ConfigReader(file, one).integer(key, null, 0, (1 << 22) - 1);
            }
            return integer(key, null, 0, (1 << 22) - 1);
        }
    }

    static JsonObject readJson(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new CheckpointException(p + ": file not found");
        }
        byte[] bytes;
        try {
            if (Files.size(p) > (64L << 20)) {
                throw new CheckpointException(p + ": " + Files.size(p) + " bytes is too large for a JSON config");
            }
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new CheckpointException(p + ": cannot read: " + e.getMessage(), e);
        }
        JsonElement e = JsonText.parse(p, bytes, null);
        if (!e.isJsonObject()) {
            throw new CheckpointException(p + ": expected a JSON object");
        }
        return e.getAsJsonObject();
    }
}
