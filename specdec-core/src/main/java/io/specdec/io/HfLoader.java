package io.specdec.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
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
        try (TensorStore store = openWeights(dir)) {
            progress.accept(store.tensors().size() + " tensors");
            Tokenizer tok = null;
            Path tj = dir.resolve("tokenizer.json");
            if (Files.isRegularFile(tj)) {
                tok = HfTokenizer.load(tj, c.bosId(), c.eosId());
                ModelLoader.checkVocab(dir, tok, c, false);
            }
            LlamaWeights w = ModelLoader.readWeights(store, c, RopeLayout.HALF_SPLIT, NAMES, progress);
            return new LoadedModel(dir, "hf", c, w, tok);
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

    /** Parses {@code config.json} into a config; rejects unsupported architectures and RoPE scaling. */
    public static LlamaConfig config(Path configJson) {
        JsonObject o = readJson(configJson);
        String type = o.has("model_type") ? o.get("model_type").getAsString() : "llama";
        if (!type.equals("llama") && !type.equals("mistral") && !type.equals("qwen2")) {
            throw new CheckpointException(configJson + ": unsupported model_type '" + type
                    + "' (supported: llama, mistral, qwen2)");
        }
        if (o.has("rope_scaling") && !o.get("rope_scaling").isJsonNull()) {
            throw new CheckpointException(configJson + ": rope_scaling " + o.get("rope_scaling")
                    + " is not supported yet");
        }
        try {
            int dim = req(o, "hidden_size", configJson);
            int heads = req(o, "num_attention_heads", configJson);
            int kv = o.has("num_key_value_heads") && !o.get("num_key_value_heads").isJsonNull()
                    ? o.get("num_key_value_heads").getAsInt() : heads;
            int headDim = o.has("head_dim") && !o.get("head_dim").isJsonNull() ? o.get("head_dim").getAsInt()
                    : dim / heads;
            boolean tied = o.has("tie_word_embeddings") ? o.get("tie_word_embeddings").getAsBoolean()
                    : type.equals("qwen2");
            return new LlamaConfig(dim, req(o, "intermediate_size", configJson),
                    req(o, "num_hidden_layers", configJson), heads, kv, headDim, req(o, "vocab_size", configJson),
                    o.has("max_position_embeddings") ? o.get("max_position_embeddings").getAsInt() : 2048,
                    o.has("rms_norm_eps") ? o.get("rms_norm_eps").getAsFloat() : 1e-6f,
                    o.has("rope_theta") ? o.get("rope_theta").getAsFloat() : 10000f, tied,
                    type.equals("qwen2"), firstInt(o, "bos_token_id"), firstInt(o, "eos_token_id"));
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new CheckpointException(configJson + ": " + e.getMessage(), e);
        }
    }

    private static int req(JsonObject o, String key, Path p) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw new CheckpointException(p + ": missing key '" + key + "'");
        }
        return o.get(key).getAsInt();
    }

    private static int firstInt(JsonObject o, String key) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            return -1;
        }
        JsonElement e = o.get(key);
        return e.isJsonArray() ? e.getAsJsonArray().get(0).getAsInt() : e.getAsInt();
    }

    static JsonObject readJson(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new CheckpointException(p + ": file not found");
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new CheckpointException(p + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (IOException | JsonParseException e) {
            throw new CheckpointException(p + ": cannot parse JSON: " + e.getMessage(), e);
        }
    }
}
