package io.specdec.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}: GPT-2, Llama-3, Qwen2, DeepSeek, StarCoder, MPT…;
 * references: openai/gpt-2 {@code encoder.py}, llama.cpp's {@code llm_tokenizer_bpe_session} and
 * {@code tokenizer_st_partition}). Text is first cut at special tokens ({@link SpecialTokens}), each remaining
 * fragment is cut into words by the vocabulary's {@link PreTokenizer} ({@code tokenizer.ggml.pre}), each word's UTF-8
 * bytes are mapped to printable code points (the {@code bytes_to_unicode} table), then the adjacent pair with the
 * lowest merge rank is merged repeatedly, leftmost on ties: a priority queue over linked symbols, O(w log w) per
 * word of w bytes. With {@link PreTokenizer#ignoreMerges()} a word that is itself a token is emitted whole. A final
 * symbol that is not a token falls back to its single-byte tokens, as llama.cpp does. No BOS unless asked and
 * defined. Immutable and thread-safe.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private final String[] tokens;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    /** (left id, right id) → rank in the high 32 bits, merged id in the low 32. */
    private final Map<Long, Long> merges = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int bos;
    private final int eos;
    private final PreTokenizer pre;
    private final SpecialTokens specials;
    private final String[] mergeRules;
    private final boolean addBosDefault;

    /** GPT-2's own pre-tokenizer and no special tokens (as a tokenizer trained by this library has). */
    public Gpt2BpeTokenizer(String[] tokens, String[] merges, int[] types, int bos, int eos) {
        this(tokens, merges, types, bos, eos, PreTokenizer.named("gpt-2"), SpecialTokens.none());
    }

    /**
     * @param tokens byte-level vocabulary entries
     * @param merges merge rules "a b", in rank order; a rule whose halves or result are not tokens is never used
     * @param types GGUF token types (3 = control: decoded as nothing) or {@code null}
     * @param pre the pre-tokenizer ({@code tokenizer.ggml.pre})
     * @param specials the special tokens matched before pre-tokenizing
     */
    public Gpt2BpeTokenizer(String[] tokens, String[] merges, int[] types, int bos, int eos, PreTokenizer pre,
            SpecialTokens specials) {
        this(tokens, merges, types, bos, eos, pre, specials, pre.addBos());
    }

    /** As above, with whether the model wants BOS before prompts ({@link #addBosByDefault()}). */
    public Gpt2BpeTokenizer(String[] tokens, String[] merges, int[] types, int bos, int eos, PreTokenizer pre,
            SpecialTokens specials, boolean addBosDefault) {
        this.addBosDefault = addBosDefault;
        this.tokens = tokens.clone();
        this.types = types == null ? new int[tokens.length] : types.clone();
        this.mergeRules = merges.clone();
        this.pre = pre;
        this.specials = specials;
        for (int i = 0; i < tokens.length; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = ids.getOrDefault(String.valueOf(BYTE_TO_CHAR[b]), -1);
        }
        for (int i = 0; i < merges.length; i++) {
            int sp = merges[i].indexOf(' ', 1);
            if (sp < 0) {
                throw new IllegalArgumentException("malformed merge rule #" + i + ": '" + merges[i] + "'");
            }
            String a = merges[i].substring(0, sp);
            String b = merges[i].substring(sp + 1);
            Integer l = ids.get(a);
            Integer r = ids.get(b);
            Integer m = ids.get(a + b);
            if (l != null && r != null && m != null) {
                this.merges.putIfAbsent(pairKey(l, r), ((long) i << 32) | m);
            }
        }
        this.bos = bos;
        this.eos = eos;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /**
     * The same tokenizer as a Hugging Face {@code tokenizer.json}: the vocabulary and merges, the pre-tokenizer's
     * expressions as a sequence of isolating {@code Split}s followed by {@code ByteLevel} (no regex of its own), byte
     * level decoding, {@code ignore_merges} as the pre-tokenizer says, and the special tokens as added tokens
     * (control ones {@code special}, user-defined ones not). {@link HfTokenizer} runs it on DJL's Rust tokenizers.
     */
    public com.google.gson.JsonObject toTokenizerJson() {
        com.google.gson.JsonObject root = new com.google.gson.JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", com.google.gson.JsonNull.INSTANCE);
        root.add("padding", com.google.gson.JsonNull.INSTANCE);
        com.google.gson.JsonArray added = new com.google.gson.JsonArray();
        for (SpecialTokens.Entry e : specials.entries()) {
            com.google.gson.JsonObject a = new com.google.gson.JsonObject();
            a.addProperty("id", e.id());
            a.addProperty("content", e.text());
            a.addProperty("single_word", false);
            a.addProperty("lstrip", e.lstrip());
            a.addProperty("rstrip", e.rstrip());
            a.addProperty("normalized", false);
            a.addProperty("special", e.needsParseSpecial());
            added.add(a);
        }
        root.add("added_tokens", added);
        root.add("normalizer", com.google.gson.JsonNull.INSTANCE);
        com.google.gson.JsonArray seq = new com.google.gson.JsonArray();
        for (String rx : pre.expressions()) {
            com.google.gson.JsonObject split = new com.google.gson.JsonObject();
            split.addProperty("type", "Split");
            com.google.gson.JsonObject pattern = new com.google.gson.JsonObject();
            pattern.addProperty("Regex", rx);
            split.add("pattern", pattern);
            split.addProperty("behavior", "Isolated");
            split.addProperty("invert", false);
            seq.add(split);
        }
        com.google.gson.JsonObject byteLevel = new com.google.gson.JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", false);
        byteLevel.addProperty("trim_offsets", false);
        byteLevel.addProperty("use_regex", false);
        seq.add(byteLevel);
        com.google.gson.JsonObject preTok = new com.google.gson.JsonObject();
        preTok.addProperty("type", "Sequence");
        preTok.add("pretokenizers", seq);
        root.add("pre_tokenizer", preTok);
        root.add("post_processor", com.google.gson.JsonNull.INSTANCE);
        com.google.gson.JsonObject dec = new com.google.gson.JsonObject();
        dec.addProperty("type", "ByteLevel");
        dec.addProperty("add_prefix_space", false);
        dec.addProperty("trim_offsets", false);
        dec.addProperty("use_regex", false);
        root.add("decoder", dec);
        com.google.gson.JsonObject model = new com.google.gson.JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", com.google.gson.JsonNull.INSTANCE);
        model.add("unk_token", com.google.gson.JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", com.google.gson.JsonNull.INSTANCE);
        model.add("end_of_word_suffix", com.google.gson.JsonNull.INSTANCE);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", pre.ignoreMerges());
        com.google.gson.JsonObject vocab = new com.google.gson.JsonObject();
        for (int i = 0; i < tokens.length; i++) {
            if (!vocab.has(tokens[i])) {
                vocab.addProperty(tokens[i], i);
            }
        }
        model.add("vocab", vocab);
        com.google.gson.JsonArray m = new com.google.gson.JsonArray();
        for (String rule : mergeRules) {
            m.add(rule);
        }
        model.add("merges", m);
        root.add("model", model);
        return root;
    }

    /** The pre-tokenizer. */
    public PreTokenizer preTokenizer() {
        return pre;
    }

    @Override
    public SpecialTokens specialTokens() {
        return specials;
    }

    @Override
    public boolean addBosByDefault() {
        return addBosDefault;
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String piece(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + tokens.length);
        }
        return tokens[id];
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
    public int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        specials.partition(text, parseSpecial, new SpecialTokens.Sink() {
            @Override
            public void text(String fragment) {
                for (String word : pre.split(fragment)) {
                    encodeWord(word, out);
                }
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        return out.toArray();
    }

    private void encodeWord(String word, IntList out) {
        if (pre.ignoreMerges()) {
            Integer whole = ids.get(byteLevel(word));
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        int[] sym = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // queued pair: rank, left index, right index, merged id — ordered by rank, then leftmost
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : Long.compare(a[1], b[1]));
        for (int i = 0; i + 1 < n; i++) {
            queuePair(sym, i, i + 1, queue);
        }
        while (!queue.isEmpty()) {
            long[] q = queue.poll();
            int left = (int) q[1];
            int right = (int) q[2];
            if (dead[left] || dead[right] || next[left] != right || sym[left] != (int) q[4]
                    || sym[right] != (int) q[5]) {
                continue; // stale: one side changed since the pair was queued
            }
            sym[left] = (int) q[3];
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                queuePair(sym, prev[left], left, queue);
            }
            if (next[left] >= 0) {
                queuePair(sym, left, next[left], queue);
            }
        }
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            if (sym[i] >= 0) {
                out.add(sym[i]);
            }
            // a byte that is not in the vocabulary is dropped, as llama.cpp does
        }
    }

    private void queuePair(int[] sym, int left, int right, PriorityQueue<long[]> queue) {
        if (sym[left] < 0 || sym[right] < 0) {
            return;
        }
        Long m = merges.get(pairKey(sym[left], sym[right]));
        if (m != null) {
            queue.add(new long[] {m >>> 32, left, right, (int) (long) m, sym[left], sym[right]});
        }
    }

    private static String byteLevel(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        char[] c = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(c);
    }

    @Override
    public byte[] tokenBytes(int prevId, int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + tokens.length);
        }
        if (types[id] == SentencePieceBpeTokenizer.TYPE_CONTROL) {
            return new byte[0];
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String t = tokens[id];
        for (int i = 0; i < t.length(); i++) {
            Integer v = CHAR_TO_BYTE.get(t.charAt(i));
            if (v == null) {
                byte[] raw = String.valueOf(t.charAt(i)).getBytes(StandardCharsets.UTF_8);
                b.write(raw, 0, raw.length);
            } else {
                b.write(v);
            }
        }
        return b.toByteArray();
    }

    @Override
    public String decode(int[] ids) {
        return StreamingDecoder.decodeAll(this, -1, ids);
    }
}
