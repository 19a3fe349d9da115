package io.specdec.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.specdec.engine.SpecdecEngine;
import io.specdec.io.CheckpointException;
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
    private final int vocabSize;
    private final int bos;
    private final int eos;
    private final String[] pieces;

    private HfTokenizer(HuggingFaceTokenizer tok, int vocabSize, int bos, int eos, String[] pieces) {
        this.tok = tok;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.pieces = pieces;
    }

    /** Loads {@code tokenizer.json}; BOS/EOS ids come from the caller (model config). */
    public static HfTokenizer load(Path tokenizerJson, int bos, int eos) {
        SpecdecEngine.configure();
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new CheckpointException(tokenizerJson + ": tokenizer.json not found");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(1 << 30)
                    .build();
            // vocabulary size and pieces from the JSON model.vocab (+ added_tokens)
            String[] pieces = readVocab(tokenizerJson);
            return new HfTokenizer(t, pieces.length, bos, eos, pieces);
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    private static String[] readVocab(Path json) throws IOException {
        com.google.gson.JsonObject root = com.google.gson.JsonParser.parseString(
                Files.readString(json, StandardCharsets.UTF_8)).getAsJsonObject();
        java.util.TreeMap<Integer, String> byId = new java.util.TreeMap<>();
        com.google.gson.JsonObject vocab = root.getAsJsonObject("model").getAsJsonObject("vocab");
        for (Map.Entry<String, com.google.gson.JsonElement> e : vocab.entrySet()) {
            byId.put(e.getValue().getAsInt(), e.getKey());
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
        Encoding enc = tok.encode(text, addBos, false);
        long[] ids = enc.getIds();
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

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tok.decode(l, true);
    }

    @Override
    public byte[] tokenBytes(int prevId, int id) {
        // Decode the pair and keep what the new token added: the Rust decoder owns the space/byte rules.
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
    }
}
