package io.specdec.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.specdec.format.CheckpointException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks a Hugging Face {@code tokenizer.json} completely in Java before DJL's native (Rust) tokenizer sees it: the
 * Rust side panics — and a panic aborts the whole JVM — on some valid JSON (a post-processor template naming a special
 * token it does not define, a malformed decoder). Only the components and fields listed here are accepted, each with
 * its type and range; anything else is a {@link CheckpointException} naming the file, the JSON path and expected vs
 * found. Supported: models BPE, WordPiece, WordLevel, Unigram; the normalizers, pre-tokenizers, post-processors and
 * decoders of the {@code tokenizers} 0.x format in common use. Stateless.
 */
public final class TokenizerJsonValidator {
    private static final Set<String> NORMALIZERS = Set.of("Sequence", "Prepend", "Replace", "NFC", "NFD", "NFKC",
            "NFKD", "Lowercase", "Strip", "StripAccents", "BertNormalizer", "Precompiled", "Nmt");
    private static final Set<String> PRE_TOKENIZERS = Set.of("Sequence", "ByteLevel", "Metaspace", "Whitespace",
            "WhitespaceSplit", "Split", "Punctuation", "Digits", "BertPreTokenizer", "UnicodeScripts",
            "CharDelimiterSplit");
    private static final Set<String> DECODERS = Set.of("Sequence", "ByteLevel", "Replace", "ByteFallback", "Fuse",
            "Strip", "Metaspace", "WordPiece", "BPEDecoder", "CTC");
    private static final Set<String> PROCESSORS = Set.of("TemplateProcessing", "ByteLevel", "BertProcessing",
            "RobertaProcessing", "Sequence");
    private static final Set<String> BEHAVIORS = Set.of("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
            "Contiguous");
    private static final int MAX_VOCAB = 1 << 24;
    private static final int MAX_DEPTH = 16;

    private final Path file;

    private TokenizerJsonValidator(Path file) {
        this.file = file;
    }

    /**
     * Validates {@code root} (the parsed file) and returns the vocabulary size (model vocabulary plus added tokens:
     * the largest id + 1).
     */
    public static int validate(Path file, JsonElement root) {
        return new TokenizerJsonValidator(file).root(root);
    }

    private CheckpointException bad(String path, String expected, JsonElement found) {
        String f = found == null || found.isJsonNull() ? "nothing" : abbreviate(found.toString());
        return new CheckpointException(file + ": " + path + ": expected " + expected + ", found " + f);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private JsonObject object(JsonElement e, String path) {
        if (e == null || !e.isJsonObject()) {
            throw bad(path, "an object", e);
        }
        return e.getAsJsonObject();
    }

    private JsonArray array(JsonElement e, String path) {
        if (e == null || !e.isJsonArray()) {
            throw bad(path, "an array", e);
        }
        return e.getAsJsonArray();
    }

    private String string(JsonElement e, String path) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw bad(path, "a string", e);
        }
        return e.getAsString();
    }

    private String nonEmpty(JsonElement e, String path) {
        String s = string(e, path);
        if (s.isEmpty()) {
            throw bad(path, "a non-empty string", e);
        }
        return s;
    }

    /** One character (one code point), as Rust's {@code char}. */
    private void character(JsonElement e, String path) {
        String s = string(e, path);
        if (s.codePointCount(0, s.length()) != 1) {
            throw bad(path, "a single character", e);
        }
    }

    private boolean bool(JsonElement e, String path) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw bad(path, "true or false", e);
        }
        return e.getAsBoolean();
    }

    private void optBool(JsonObject o, String key, String path) {
        if (o.has(key) && !o.get(key).isJsonNull()) {
            bool(o.get(key), path + "." + key);
        }
    }

    private long integer(JsonElement e, String path, long min, long max) {
        Long v = io.specdec.format.JsonText.exactInteger(e, min, max);
        if (v == null) {
            throw bad(path, "an integer in " + min + ".." + max, e);
        }
        return v;
    }

    private double number(JsonElement e, String path, double min, double max) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw bad(path, "a number in [" + min + ", " + max + "]", e);
        }
        double v = e.getAsDouble();
        if (!(v >= min && v <= max)) {
            throw bad(path, "a number in [" + min + ", " + max + "]", e);
        }
        return v;
    }

    private void optString(JsonObject o, String key, String path) {
        if (o.has(key) && !o.get(key).isJsonNull()) {
            string(o.get(key), path + "." + key);
        }
    }

    private static boolean present(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull();
    }

    private String type(JsonObject o, String path, Set<String> allowed) {
        String t = string(o.get("type"), path + ".type");
        if (!allowed.contains(t)) {
            throw bad(path + ".type", "one of " + new java.util.TreeSet<>(allowed), o.get("type"));
        }
        return t;
    }

    private int root(JsonElement rootElement) {
        JsonObject root = object(rootElement, "(root)");
        for (String k : new String[] {"truncation", "padding"}) {
            if (present(root, k)) {
                object(root.get(k), k); // replaced by null before the native load (see HfTokenizer)
            }
        }
        JsonObject model = object(root.get("model"), "model");
        Map<String, Integer> vocab = new java.util.HashMap<>();
        int maxId = model(model, vocab);
        Set<Integer> ids = new HashSet<>(vocab.values());
        if (present(root, "added_tokens")) {
            JsonArray added = array(root.get("added_tokens"), "added_tokens");
            for (int i = 0; i < added.size(); i++) {
                String p = "added_tokens[" + i + "]";
                JsonObject a = object(added.get(i), p);
                int id = (int) integer(a.get("id"), p + ".id", 0, MAX_VOCAB - 1);
                String content = nonEmpty(a.get("content"), p + ".content");
                for (String k : new String[] {"single_word", "lstrip", "rstrip", "normalized", "special"}) {
                    optBool(a, k, p);
                }
                Integer known = vocab.get(content);
                if (known != null && known != id) {
                    throw bad(p + ".id", "the id of '" + content + "' in model.vocab (" + known + ")", a.get("id"));
                }
                vocab.putIfAbsent(content, id);
                ids.add(id);
                maxId = Math.max(maxId, id);
            }
        }
        int size = maxId + 1;
        if (present(root, "normalizer")) {
            normalizer(object(root.get("normalizer"), "normalizer"), "normalizer", 0);
        }
        if (present(root, "pre_tokenizer")) {
            preTokenizer(object(root.get("pre_tokenizer"), "pre_tokenizer"), "pre_tokenizer", 0);
        }
        if (present(root, "post_processor")) {
            processor(object(root.get("post_processor"), "post_processor"), "post_processor", 0, vocab, size);
        }
        if (present(root, "decoder")) {
            decoder(object(root.get("decoder"), "decoder"), "decoder", 0);
        }
        return size;
    }

    private int model(JsonObject m, Map<String, Integer> vocab) {
        String t = type(m, "model", Set.of("BPE", "WordPiece", "WordLevel", "Unigram"));
        int maxId = -1;
        if (t.equals("Unigram")) {
            JsonArray v = array(m.get("vocab"), "model.vocab");
            if (v.isEmpty() || v.size() > MAX_VOCAB) {
                throw bad("model.vocab", "1.." + MAX_VOCAB + " entries", new JsonPrimitive(v.size()));
            }
            for (int i = 0; i < v.size(); i++) {
                JsonArray pair = array(v.get(i), "model.vocab[" + i + "]");
                if (pair.size() != 2) {
                    throw bad("model.vocab[" + i + "]", "[piece, score]", pair);
                }
                vocab.putIfAbsent(string(pair.get(0), "model.vocab[" + i + "][0]"), i);
                number(pair.get(1), "model.vocab[" + i + "][1]", -1e30, 1e30);
            }
            maxId = v.size() - 1;
            if (present(m, "unk_id")) {
                integer(m.get("unk_id"), "model.unk_id", 0, maxId);
            }
            optBool(m, "byte_fallback", "model");
            return maxId;
        }
        JsonObject v = object(m.get("vocab"), "model.vocab");
        if (v.size() == 0 || v.size() > MAX_VOCAB) {
            throw bad("model.vocab", "1.." + MAX_VOCAB + " entries", new JsonPrimitive(v.size()));
        }
        Set<Integer> seen = new HashSet<>();
        for (Map.Entry<String, JsonElement> e : v.entrySet()) {
            int id = (int) integer(e.getValue(), "model.vocab[\"" + abbreviate(e.getKey()) + "\"]", 0, MAX_VOCAB - 1);
            if (!seen.add(id)) {
                throw bad("model.vocab[\"" + abbreviate(e.getKey()) + "\"]", "an id no other token has", e.getValue());
            }
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        if (present(m, "unk_token")) {
            String unk = string(m.get("unk_token"), "model.unk_token");
            if (!vocab.containsKey(unk)) {
                throw bad("model.unk_token", "a token of model.vocab", m.get("unk_token"));
            }
        }
        switch (t) {
            case "BPE" -> {
                if (present(m, "dropout")) {
                    number(m.get("dropout"), "model.dropout", 0, 1);
                }
                // a non-null prefix/suffix aborted the native tokenizer in fuzzing (Rust panic): not supported
                for (String k : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                    if (present(m, k)) {
                        throw bad("model." + k, "null (a BPE " + k + " is not supported)", m.get(k));
                    }
                }
                optBool(m, "fuse_unk", "model");
                optBool(m, "byte_fallback", "model");
                optBool(m, "ignore_merges", "model");
                if (present(m, "merges")) {
                    JsonArray merges = array(m.get("merges"), "model.merges");
                    for (int i = 0; i < merges.size(); i++) {
                        merge(merges.get(i), "model.merges[" + i + "]", vocab);
                    }
                }
            }
            case "WordPiece" -> {
                optString(m, "continuing_subword_prefix", "model");
                if (present(m, "max_input_chars_per_word")) {
                    integer(m.get("max_input_chars_per_word"), "model.max_input_chars_per_word", 1, 1 << 20);
                }
            }
            default -> {
                // WordLevel: vocab and unk_token only
            }
        }
        return maxId;
    }

    private void merge(JsonElement e, String path, Map<String, Integer> vocab) {
        String a;
        String b;
        if (e != null && e.isJsonArray()) {
            JsonArray p = e.getAsJsonArray();
            if (p.size() != 2) {
                throw bad(path, "two tokens", e);
            }
            a = string(p.get(0), path + "[0]");
            b = string(p.get(1), path + "[1]");
        } else {
            String s = string(e, path);
            int sp = s.indexOf(' ');
            if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0) {
                throw bad(path, "\"LEFT RIGHT\" (two tokens and one space)", e);
            }
            a = s.substring(0, sp);
            b = s.substring(sp + 1);
        }
        if (!vocab.containsKey(a) || !vocab.containsKey(b)) {
            throw bad(path, "tokens of model.vocab", e);
        }
    }

    private void depth(int d, String path) {
        if (d > MAX_DEPTH) {
            throw new CheckpointException(file + ": " + path + ": nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void pattern(JsonObject o, String path) {
        JsonObject p = object(o.get("pattern"), path + ".pattern");
        if (p.size() != 1 || !(p.has("String") || p.has("Regex"))) {
            throw bad(path + ".pattern", "{\"String\": ...} or {\"Regex\": ...}", p);
        }
        if (p.has("String")) {
            string(p.get("String"), path + ".pattern.String");
        } else {
            String re = nonEmpty(p.get("Regex"), path + ".pattern.Regex");
            try {
                java.util.regex.Pattern.compile(re);
            } catch (java.util.regex.PatternSyntaxException ex) {
                throw bad(path + ".pattern.Regex", "a regular expression", p.get("Regex"));
            }
        }
    }

    private void normalizer(JsonObject o, String path, int d) {
        depth(d, path);
        switch (type(o, path, NORMALIZERS)) {
            case "Sequence" -> {
                JsonArray a = array(o.get("normalizers"), path + ".normalizers");
                for (int i = 0; i < a.size(); i++) {
                    normalizer(object(a.get(i), path + ".normalizers[" + i + "]"), path + ".normalizers[" + i + "]",
                            d + 1);
                }
            }
            case "Prepend" -> string(o.get("prepend"), path + ".prepend");
            case "Replace" -> {
                pattern(o, path);
                string(o.get("content"), path + ".content");
            }
            case "Strip" -> {
                optBool(o, "left", path);
                optBool(o, "right", path);
            }
            case "BertNormalizer" -> {
                for (String k : new String[] {"clean_text", "handle_chinese_chars", "lowercase"}) {
                    optBool(o, k, path);
                }
                if (present(o, "strip_accents")) {
                    bool(o.get("strip_accents"), path + ".strip_accents");
                }
            }
            case "Precompiled" -> string(o.get("precompiled_charsmap"), path + ".precompiled_charsmap");
            default -> {
                // parameterless
            }
        }
    }

    private void preTokenizer(JsonObject o, String path, int d) {
        depth(d, path);
        switch (type(o, path, PRE_TOKENIZERS)) {
            case "Sequence" -> {
                JsonArray a = array(o.get("pretokenizers"), path + ".pretokenizers");
                for (int i = 0; i < a.size(); i++) {
                    preTokenizer(object(a.get(i), path + ".pretokenizers[" + i + "]"),
                            path + ".pretokenizers[" + i + "]", d + 1);
                }
            }
            case "ByteLevel" -> {
                for (String k : new String[] {"add_prefix_space", "trim_offsets", "use_regex"}) {
                    optBool(o, k, path);
                }
            }
            case "Metaspace" -> metaspace(o, path);
            case "Split" -> {
                pattern(o, path);
                behavior(o, path);
                optBool(o, "invert", path);
            }
            case "Punctuation" -> {
                if (present(o, "behavior")) {
                    behavior(o, path);
                }
            }
            case "Digits" -> optBool(o, "individual_digits", path);
            case "CharDelimiterSplit" -> character(o.get("delimiter"), path + ".delimiter");
            default -> {
                // parameterless
            }
        }
    }

    private void behavior(JsonObject o, String path) {
        String b = string(o.get("behavior"), path + ".behavior");
        if (!BEHAVIORS.contains(b)) {
            throw bad(path + ".behavior", "one of " + new java.util.TreeSet<>(BEHAVIORS), o.get("behavior"));
        }
    }

    private void metaspace(JsonObject o, String path) {
        character(o.get("replacement"), path + ".replacement");
        optBool(o, "add_prefix_space", path);
        optBool(o, "split", path);
        if (present(o, "prepend_scheme")) {
            String s = string(o.get("prepend_scheme"), path + ".prepend_scheme");
            if (!Set.of("always", "never", "first").contains(s)) {
                throw bad(path + ".prepend_scheme", "always, never or first", o.get("prepend_scheme"));
            }
        }
    }

    private void decoder(JsonObject o, String path, int d) {
        depth(d, path);
        switch (type(o, path, DECODERS)) {
            case "Sequence" -> {
                JsonArray a = array(o.get("decoders"), path + ".decoders");
                for (int i = 0; i < a.size(); i++) {
                    decoder(object(a.get(i), path + ".decoders[" + i + "]"), path + ".decoders[" + i + "]", d + 1);
                }
            }
            case "Replace" -> {
                pattern(o, path);
                string(o.get("content"), path + ".content");
            }
            case "Strip" -> {
                character(o.get("content"), path + ".content");
                integer(o.get("start"), path + ".start", 0, 1 << 16);
                integer(o.get("stop"), path + ".stop", 0, 1 << 16);
            }
            case "Metaspace" -> metaspace(o, path);
            case "WordPiece" -> {
                optString(o, "prefix", path);
                optBool(o, "cleanup", path);
            }
            case "BPEDecoder" -> optString(o, "suffix", path);
            case "CTC" -> {
                optString(o, "pad_token", path);
                optString(o, "word_delimiter_token", path);
                optBool(o, "cleanup", path);
            }
            case "ByteLevel" -> {
                for (String k : new String[] {"add_prefix_space", "trim_offsets", "use_regex"}) {
                    optBool(o, k, path);
                }
            }
            default -> {
                // ByteFallback, Fuse: parameterless
            }
        }
    }

    private void processor(JsonObject o, String path, int d, Map<String, Integer> vocab, int size) {
        depth(d, path);
        switch (type(o, path, PROCESSORS)) {
            case "Sequence" -> {
                JsonArray a = array(o.get("processors"), path + ".processors");
                for (int i = 0; i < a.size(); i++) {
                    processor(object(a.get(i), path + ".processors[" + i + "]"), path + ".processors[" + i + "]",
                            d + 1, vocab, size);
                }
            }
            case "TemplateProcessing" -> template(o, path, size);
            case "BertProcessing", "RobertaProcessing" -> {
                for (String k : new String[] {"sep", "cls"}) {
                    JsonArray a = array(o.get(k), path + "." + k);
                    if (a.size() != 2) {
                        throw bad(path + "." + k, "[token, id]", a);
                    }
                    String tok = string(a.get(0), path + "." + k + "[0]");
                    long id = integer(a.get(1), path + "." + k + "[1]", 0, size - 1);
                    if (vocab.containsKey(tok) && vocab.get(tok) != id) {
                        throw bad(path + "." + k + "[1]", "the id of '" + tok + "' (" + vocab.get(tok) + ")", a.get(1));
                    }
                }
                optBool(o, "trim_offsets", path);
                optBool(o, "add_prefix_space", path);
            }
            default -> {
                for (String k : new String[] {"add_prefix_space", "trim_offsets", "use_regex"}) {
                    optBool(o, k, path);
                }
            }
        }
    }

    private void template(JsonObject o, String path, int size) {
        JsonObject specials = object(o.get("special_tokens"), path + ".special_tokens");
        for (Map.Entry<String, JsonElement> e : specials.entrySet()) {
            String p = path + ".special_tokens[\"" + abbreviate(e.getKey()) + "\"]";
            JsonObject s = object(e.getValue(), p);
            String id = string(s.get("id"), p + ".id");
            if (!id.equals(e.getKey())) {
                throw bad(p + ".id", "the key '" + abbreviate(e.getKey()) + "'", s.get("id"));
            }
            JsonArray ids = array(s.get("ids"), p + ".ids");
            JsonArray toks = array(s.get("tokens"), p + ".tokens");
            if (ids.isEmpty() || ids.size() != toks.size()) {
                throw bad(p + ".tokens", ids.size() + " tokens (one per id, at least one)", toks);
            }
            for (int i = 0; i < ids.size(); i++) {
                integer(ids.get(i), p + ".ids[" + i + "]", 0, size - 1);
                string(toks.get(i), p + ".tokens[" + i + "]");
            }
        }
        for (String k : new String[] {"single", "pair"}) {
            JsonArray pieces = array(o.get(k), path + "." + k);
            for (int i = 0; i < pieces.size(); i++) {
                String p = path + "." + k + "[" + i + "]";
                JsonObject piece = object(pieces.get(i), p);
                if (piece.size() != 1 || !(piece.has("SpecialToken") || piece.has("Sequence"))) {
                    throw bad(p, "{\"SpecialToken\": ...} or {\"Sequence\": ...}", piece);
                }
                boolean special = piece.has("SpecialToken");
                JsonObject body = object(piece.get(special ? "SpecialToken" : "Sequence"), p);
                String id = string(body.get("id"), p + ".id");
                integer(body.get("type_id"), p + ".type_id", 0, 1 << 16);
                if (special && !specials.has(id)) {
                    throw bad(p + ".SpecialToken.id", "a key of " + path + ".special_tokens "
                            + specials.keySet(), body.get("id"));
                }
                if (!special && !id.equals("A") && !id.equals("B")) {
                    throw bad(p + ".Sequence.id", "A or B", body.get("id"));
                }
                if (k.equals("single") && !special && id.equals("B")) {
                    throw bad(p + ".Sequence.id", "A (single has one sequence)", body.get("id"));
                }
            }
        }
    }
}
