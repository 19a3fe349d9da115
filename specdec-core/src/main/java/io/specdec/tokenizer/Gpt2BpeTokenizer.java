package io.specdec.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}; reference: openai/gpt-2 {@code encoder.py} and
 * llama.cpp's {@code llm_tokenizer_bpe}). Text is split by the GPT-2 pre-tokenizer regex, each chunk's UTF-8 bytes
 * are mapped to printable code points (the {@code bytes_to_unicode} table), then the pair with the lowest merge
 * rank is merged repeatedly (leftmost on ties). No BOS unless asked and defined. Immutable and thread-safe.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {
    private static final Pattern PRE = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
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
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final int bos;
    private final int eos;

    /**
     * @param tokens byte-level vocabulary entries
     * @param merges merge rules "a b", in rank order
     * @param types GGUF token types (3 = control: decoded as nothing) or {@code null}
     */
    public Gpt2BpeTokenizer(String[] tokens, String[] merges, int[] types, int bos, int eos) {
        this.tokens = tokens.clone();
        this.types = types == null ? new int[tokens.length] : types.clone();
        for (int i = 0; i < tokens.length; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        for (int i = 0; i < merges.length; i++) {
            int sp = merges[i].indexOf(' ', 1);
            if (sp < 0) {
                throw new IllegalArgumentException("malformed merge rule #" + i + ": '" + merges[i] + "'");
            }
            mergeRank.putIfAbsent(merges[i].substring(0, sp) + "\u0000" + merges[i].substring(sp + 1), i);
        }
        this.bos = bos;
        this.eos = eos;
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
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        Matcher m = PRE.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            List<String> sym = new ArrayList<>(bytes.length);
            for (byte b : bytes) {
                sym.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
            }
            while (sym.size() > 1) {
                int best = Integer.MAX_VALUE;
                int at = -1;
                for (int i = 0; i + 1 < sym.size(); i++) {
                    Integer r = mergeRank.get(sym.get(i) + "\u0000" + sym.get(i + 1));
                    if (r != null && r < best) {
                        best = r;
                        at = i;
                    }
                }
                if (at < 0) {
                    break;
                }
                sym.set(at, sym.get(at) + sym.get(at + 1));
                sym.remove(at + 1);
            }
            for (String s : sym) {
                Integer id = ids.get(s);
                if (id == null) {
                    throw new IllegalStateException("byte-level piece '" + s + "' is not in the vocabulary");
                }
                out.add(id);
            }
        }
        int[] r = new int[out.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = out.get(i);
        }
        return r;
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
