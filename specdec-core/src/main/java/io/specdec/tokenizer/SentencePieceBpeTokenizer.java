package io.specdec.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece-style BPE by merge score with byte fallback: the tokenizer of GGUF {@code tokenizer.ggml.model =
 * llama} vocabularies and of llama2.c's {@code tokenizer.bin}. Follows llama.cpp's {@code llm_tokenizer_spm} and
 * llama2.c's {@code encode}: spaces become U+2581 ("▁"), a dummy-prefix "▁" is prepended to non-empty text when
 * {@code addSpacePrefix}, the text is split into UTF-8 characters, then the adjacent pair whose concatenation is a
 * vocabulary piece with the highest score is merged repeatedly (leftmost on ties). Symbols that are not pieces fall
 * back to {@code <0xXX>} byte tokens. Decoding strips the dummy-prefix space after BOS (llama2.c rule).
 * Immutable and thread-safe.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    /** GGUF token types. */
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_BYTE = 6;
    private static final String SPACE = "\u2581";

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int bos;
    private final int eos;
    private final int unk;
    private final boolean addSpacePrefix;

    /**
     * @param pieces vocabulary entries with "▁" for spaces and {@code <0xXX>} byte pieces
     * @param scores merge scores (higher merges first)
     * @param types GGUF token types per id, or {@code null} to infer (byte pieces, BOS/EOS/UNK as control)
     */
    public SentencePieceBpeTokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos, int unk,
            boolean addSpacePrefix) {
        if (scores.length != pieces.length || (types != null && types.length != pieces.length)) {
            throw new IllegalArgumentException("tokenizer arrays differ in length: " + pieces.length + " pieces, "
                    + scores.length + " scores" + (types == null ? "" : ", " + types.length + " types"));
        }
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.addSpacePrefix = addSpacePrefix;
        Arrays.fill(byteIds, -1);
        int[] t = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            int bv = byteValue(p);
            if (types != null) {
                t[i] = types[i];
            } else if (i == bos || i == eos) {
                t[i] = TYPE_CONTROL;
            } else if (i == unk) {
                t[i] = TYPE_UNKNOWN;
            } else {
                t[i] = bv >= 0 ? TYPE_BYTE : TYPE_NORMAL;
            }
            if (bv >= 0 && byteIds[bv] < 0 && t[i] == TYPE_BYTE) {
                byteIds[bv] = i;
            }
            ids.putIfAbsent(p, i);
        }
        this.types = t;
    }

    /** {@code <0xAB>} → 0xAB, else -1. */
    private static int byteValue(String p) {
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            try {
                return Integer.parseInt(p.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public String piece(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + pieces.length);
        }
        return pieces[id];
    }

    /** Merge score of {@code id}. */
    public float score(int id) {
        return scores[id];
    }

    /** GGUF token type of {@code id} (1 normal, 2 unknown, 3 control, 6 byte). */
    public int type(int id) {
        return types[id];
    }

    /** Unknown-token id. */
    public int unkId() {
        return unk;
    }

    /** Whether a dummy-prefix space is added to non-empty text. */
    public boolean addSpacePrefix() {
        return addSpacePrefix;
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
        if (!text.isEmpty()) {
            String s = (addSpacePrefix ? " " + text : text).replace(" ", SPACE);
            // symbols: one per code point
            List<String> sym = new ArrayList<>();
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                int n = Character.charCount(cp);
                sym.add(s.substring(i, i + n));
                i += n;
            }
            while (sym.size() > 1) {
                float best = Float.NEGATIVE_INFINITY;
                int bestIdx = -1;
                int bestId = -1;
                for (int i = 0; i + 1 < sym.size(); i++) {
                    Integer id = ids.get(sym.get(i) + sym.get(i + 1));
                    if (id != null && scores[id] > best) {
                        best = scores[id];
                        bestIdx = i;
                        bestId = id;
                    }
                }
                if (bestIdx < 0) {
                    break;
                }
                sym.set(bestIdx, pieces[bestId]);
                sym.remove(bestIdx + 1);
            }
            for (String x : sym) {
                Integer id = ids.get(x);
                if (id != null) {
                    out.add(id);
                } else {
                    for (byte b : x.getBytes(StandardCharsets.UTF_8)) {
                        int bid = byteIds[b & 0xFF];
                        out.add(bid >= 0 ? bid : unk);
                    }
                }
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
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + pieces.length);
        }
        int type = types[id];
        if (type == TYPE_CONTROL || type == TYPE_UNKNOWN && id == bos) {
            return new byte[0];
        }
        if (type == TYPE_BYTE) {
            return new byte[] {(byte) byteValue(pieces[id])};
        }
        String p = pieces[id].replace(SPACE, " ");
        if (prevId == bos && bos >= 0 && p.startsWith(" ") && addSpacePrefix) {
            p = p.substring(1);
        }
        return p.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        // At the start of a text the dummy-prefix space is dropped, as after BOS (SentencePiece decode semantics).
        return StreamingDecoder.decodeAll(this, bos, ids);
    }
}
