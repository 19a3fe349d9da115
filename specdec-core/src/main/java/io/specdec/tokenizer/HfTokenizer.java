package io.specdec.tokenizer;

import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.specdec.engine.SpecdecEngine;
import io.specdec.format.CheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's Rust tokenizers binding ({@code ai.djl.huggingface:tokenizers}),
 * with truncation and padding off. {@code addBos = true} applies the tokenizer's post-processor template (which
 * prepends BOS for Llama tokenizers) and prepends BOS if the template did not. Thread-safe (the native tokenizer is
 * read-only); {@link #close()} frees it.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    private final HuggingFaceTokenizer tok;
    /** The same tokenizer without its special added tokens (null if it has none): text with them left unparsed. */
    private final HuggingFaceTokenizer plain;
    private final int vocabSize;
    private final int bos;
    private final int eos;
    private final String[] pieces;
    private final SpecialTokens specials;

    private HfTokenizer(HuggingFaceTokenizer tok, HuggingFaceTokenizer plain, int vocabSize, int bos, int eos,
            String[] pieces, SpecialTokens specials) {
        this.tok = tok;
        this.plain = plain;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.pieces = pieces;
        this.specials = specials;
    }

    /**
     * Loads {@code tokenizer.json}; BOS/EOS ids come from the caller (model config). The file is checked completely in
     * Java first ({@link TokenizerJsonValidator}): DJL's Rust tokenizer aborts the JVM on some valid JSON, so nothing
     * native sees a file that did not pass. Truncation and padding are replaced by null (this class turns them off).
     *
     * @throws CheckpointException naming the file, the JSON path and expected vs found
     */
    public static HfTokenizer load(Path tokenizerJson, int bos, int eos) {
        SpecdecEngine.configure();
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new CheckpointException(tokenizerJson + ": tokenizer.json not found");
        }
        com.google.gson.JsonObject root;
        try {
            long size = Files.size(tokenizerJson);
            if (size > (256L << 20)) {
                throw new CheckpointException(tokenizerJson + ": " + size + " bytes; a tokenizer.json above 256 MiB"
                        + " is not supported");
            }
            com.google.gson.JsonElement parsed = io.specdec.format.JsonText.parse(tokenizerJson,
                    Files.readAllBytes(tokenizerJson), null);
            int vocab = TokenizerJsonValidator.validate(tokenizerJson, parsed);
            root = parsed.getAsJsonObject();
            if (bos >= vocab || eos >= vocab) {
                throw new CheckpointException(tokenizerJson + ": BOS/EOS ids " + bos + "/" + eos + " outside the "
                        + vocab + "-token vocabulary");
            }
        } catch (IOException e) {
            throw new CheckpointException(tokenizerJson + ": cannot read: " + e.getMessage(), e);
        }
        return of(tokenizerJson, root, bos, eos);
    }

    /**
     * A tokenizer from an in-memory {@code tokenizer.json} (e.g. {@link Gpt2BpeTokenizer#toTokenizerJson()}), checked
     * like a file.
     *
     * @param name the file or source named in errors
     */
    public static HfTokenizer fromJson(Path name, com.google.gson.JsonObject root, int bos, int eos) {
        SpecdecEngine.configure();
        TokenizerJsonValidator.validate(name, root);
        return of(name, root.deepCopy(), bos, eos);
    }

    private static HfTokenizer of(Path tokenizerJson, com.google.gson.JsonObject root, int bos, int eos) {
        root.add("truncation", com.google.gson.JsonNull.INSTANCE);
        root.add("padding", com.google.gson.JsonNull.INSTANCE);
        java.util.List<SpecialTokens.Entry> added = new java.util.ArrayList<>();
        com.google.gson.JsonArray kept = new com.google.gson.JsonArray();
        if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
            for (com.google.gson.JsonElement e : root.getAsJsonArray("added_tokens")) {
                com.google.gson.JsonObject o = e.getAsJsonObject();
                boolean special = o.has("special") && o.get("special").getAsBoolean();
                added.add(new SpecialTokens.Entry(o.get("id").getAsInt(), o.get("content").getAsString(), special,
                        flag(o, "lstrip"), flag(o, "rstrip")));
                if (!special) {
                    kept.add(o);
                }
            }
        }
        String[] pieces = readVocab(root);
        SpecialTokens specials = SpecialTokens.of(added).withEndOfGeneration(pieces, eos);
        HuggingFaceTokenizer t = build(tokenizerJson, root);
        HuggingFaceTokenizer plain = null;
        if (kept.size() < added.size()) {
            com.google.gson.JsonObject copy = root.deepCopy();
            copy.add("added_tokens", kept);
            try {
                plain = build(tokenizerJson, copy);
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        }
        return new HfTokenizer(t, plain, pieces.length, bos, eos, pieces, specials);
    }

    private static boolean flag(com.google.gson.JsonObject o, String key) {
        return o.has(key) && o.get(key).isJsonPrimitive() && o.get(key).getAsBoolean();
    }

    private static HuggingFaceTokenizer build(Path tokenizerJson, com.google.gson.JsonObject root) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("specdec-tokenizer", ".json");
            Files.writeString(tmp, root.toString(), StandardCharsets.UTF_8);
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tmp)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(1 << 30)
                    .build();
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temporary copy: the OS cleans it
                }
            }
        }
    }

    @Override
    public SpecialTokens specialTokens() {
        return specials;
    }

    /** Pieces by id from the validated JSON: model.vocab (object or Unigram list) and added_tokens. */
    private static String[] readVocab(com.google.gson.JsonObject root) {
        java.util.TreeMap<Integer, String> byId = new java.util.TreeMap<>();
        com.google.gson.JsonElement vocab = root.getAsJsonObject("model").get("vocab");
        if (vocab.isJsonArray()) {
            com.google.gson.JsonArray a = vocab.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                byId.put(i, a.get(i).getAsJsonArray().get(0).getAsString());
            }
        } else {
            for (Map.Entry<String, com.google.gson.JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                byId.put(e.getValue().getAsInt(), e.getKey());
            }
        }
        if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
            for (com.google.gson.JsonElement e : root.getAsJsonArray("added_tokens")) {
                byId.put(e.getAsJsonObject().get("id").getAsInt(), e.getAsJsonObject().get("content").getAsString());
            }
        }
        int n = byId.isEmpty() ? 0 : byId.lastKey() + 1;
        String[] pieces = new String[n];
        byId.forEach((k, v) -> pieces[k] = v);
        return pieces;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    /**
     * Hugging Face always matches added tokens; without {@code parseSpecial} the special ones are left out (a second
     * native tokenizer without them, as {@code encode_special_tokens} does in Python), so user text that spells
     * {@code <|im_end|>} is tokenized as text.
     */
    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        HuggingFaceTokenizer t = parseSpecial || plain == null ? tok : plain;
        // the ids alone, straight from the native encoding: DJL's Encoding also copies every token string, offset and
        // mask into Java, which is most of the time on long texts (1 MB: 1.1 s -> see docs/CHAT.md)
        long handle = TokenizersLibrary.LIB.encode(t.getHandle(), text, addBos);
        long[] ids;
        try {
            ids = TokenizersLibrary.LIB.getTokenIds(handle);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(handle);
        }
        boolean prepend = addBos && bos >= 0 && (ids.length == 0 || ids[0] != bos);
        int[] r = new int[ids.length + (prepend ? 1 : 0)];
        int o = 0;
        if (prepend) {
            r[o++] = bos;
        }
        for (long id : ids) {
            r[o++] = (int) id;
        }
        return r;
    }

    private void check(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " outside the tokenizer's vocabulary 0.."
                    + (vocabSize - 1));
        }
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            check(ids[i]);
            l[i] = ids[i];
        }
        return tok.decode(l, true);
    }

    @Override
    public byte[] tokenBytes(int prevId, int id) {
        // Decode the pair and keep what the new token added: the Rust decoder owns the space/byte rules.
        check(id);
        if (prevId >= 0) {
            check(prevId);
        }
        if (prevId < 0 || prevId == bos) {
            return tok.decode(new long[] {id}, true).getBytes(StandardCharsets.UTF_8);
        }
        String both = tok.decode(new long[] {prevId, id}, true);
        String first = tok.decode(new long[] {prevId}, true);
        String add = both.startsWith(first) ? both.substring(first.length()) : both;
        return add.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return id >= 0 && id < pieces.length && pieces[id] != null ? pieces[id] : "";
    }

    @Override
    public int bosId() {
        return bos;
    }

    @Override
    public int eosId() {
        return eos;
    }

    @Override
    public void close() {
        tok.close();
        if (plain != null) {
            plain.close();
        }
    }
}
