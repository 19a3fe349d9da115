package io.specdec.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.specdec.format.CheckpointException;
import io.specdec.io.GgufFile;
import io.specdec.io.LoadedModel;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a checkpoint's own chat template: GGUF metadata {@code tokenizer.chat_template}; in a Hugging Face directory
 * {@code chat_template.jinja}, else {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of
 * {@code {name, template}} from which the one named {@code default} is taken). llama2.c checkpoints carry none.
 * The template gets the tokenizer's BOS/EOS texts as {@code bos_token}/{@code eos_token}. Stateless.
 */
public final class ChatTemplates {
    private ChatTemplates() {}

    /**
     * The checkpoint's template, or empty when it has none.
     *
     * @throws ChatTemplateException if the template is there but does not parse
     * @throws CheckpointException if the file holding it cannot be read
     */
    public static Optional<ChatTemplate> of(LoadedModel model) {
        Tokenizer t = model.tokenizer();
        String bos = t != null && t.bosId() >= 0 ? t.piece(t.bosId()) : "";
        String eos = t != null && t.eosId() >= 0 ? t.piece(t.eosId()) : "";
        Path p = model.path();
        switch (model.format()) {
            case "gguf": {
                if (p == null || !Files.isRegularFile(p)) {
                    return Optional.empty();
                }
                try (GgufFile g = GgufFile.open(p)) {
                    if (!g.has("tokenizer.chat_template")) {
                        return Optional.empty();
                    }
                    return Optional.of(ChatTemplate.of(p.getFileName() + ": tokenizer.chat_template",
                            g.getString("tokenizer.chat_template"), bos, eos));
                }
            }
            case "hf":
                return p == null ? Optional.empty() : fromHfDirectory(p, bos, eos);
            default:
                return Optional.empty();
        }
    }

    /**
     * The template a user named: a built-in ({@link ChatTemplate#builtinNames()}) or a {@code .jinja} file.
     *
     * @throws ChatTemplateException one line, for an unknown name or an unreadable or unparsable file
     */
    public static ChatTemplate named(String nameOrFile, String bos, String eos) {
        if (!nameOrFile.endsWith(".jinja")) {
            return ChatTemplate.builtin(nameOrFile, bos, eos);
        }
        Path f = Path.of(nameOrFile);
        String src;
        try {
            src = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new ChatTemplateException(f + ": cannot read the chat template: " + e.getMessage());
        }
        return ChatTemplate.of(f.toString(), src, bos, eos);
    }

    /**
     * The template {@code choice} names for {@code model} (its BOS/EOS texts given to the template), else — for a null
     * choice — the checkpoint's own, if any.
     */
    public static Optional<ChatTemplate> resolve(LoadedModel model, String choice) {
        if (choice == null) {
            return of(model);
        }
        Tokenizer t = model.tokenizer();
        return Optional.of(named(choice, t != null && t.bosId() >= 0 ? t.piece(t.bosId()) : "",
                t != null && t.eosId() >= 0 ? t.piece(t.eosId()) : ""));
    }

    /** The template of a Hugging Face model directory, or empty. */
    public static Optional<ChatTemplate> fromHfDirectory(Path dir, String bos, String eos) {
        try {
            Path jinja = dir.resolve("chat_template.jinja");
            if (Files.isRegularFile(jinja)) {
                return Optional.of(ChatTemplate.of(jinja.toString(), Files.readString(jinja, StandardCharsets.UTF_8),
                        bos, eos));
            }
            Path cfg = dir.resolve("tokenizer_config.json");
            if (!Files.isRegularFile(cfg)) {
                return Optional.empty();
            }
            JsonElement root = io.specdec.format.JsonText.parse(cfg, Files.readAllBytes(cfg), null);
            if (!root.isJsonObject() || !root.getAsJsonObject().has("chat_template")) {
                return Optional.empty();
            }
            JsonElement ct = root.getAsJsonObject().get("chat_template");
            String name = cfg + ": chat_template";
            if (ct.isJsonPrimitive()) {
                return Optional.of(ChatTemplate.of(name, ct.getAsString(), bos, eos));
            }
            if (ct.isJsonArray()) {
                for (JsonElement e : ct.getAsJsonArray()) {
                    JsonObject o = e.isJsonObject() ? e.getAsJsonObject() : null;
                    if (o != null && o.has("name") && "default".equals(o.get("name").getAsString())
                            && o.has("template")) {
                        return Optional.of(ChatTemplate.of(name + "[default]", o.get("template").getAsString(), bos,
                                eos));
                    }
                }
                throw new CheckpointException(name + ": a list of templates without one named 'default'");
            }
            if (ct.isJsonNull()) {
                return Optional.empty();
            }
            throw new CheckpointException(name + ": expected a string or a list of {name, template}, found " + ct);
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot read the chat template: " + e.getMessage(), e);
        }
    }
}
