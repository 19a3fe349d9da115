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
 * vocabulary piece with the highest score is merged repeatedly (leftmost on ties; a priority queue over the linked
 * symbols, O(n log n) in the text's length). Symbols that are not pieces fall
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
    private final int maxPieceChars;
    private final SpecialTokens specials;
    private final boolean addBosDefault;
    /** Whether a multi-character piece contains a newline; if none does, no merge crosses one. */
    private final boolean newlineInPieces;

    /**
     * @param pieces vocabulary entries with "▁" for spaces and {@code <0xXX>} byte pieces
     * @param scores merge scores (higher merges first)
     * @param types GGUF token types per id, or {@code null} to infer (byte pieces, BOS/EOS/UNK as control)
     */
    public SentencePieceBpeTokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos, int unk,
            boolean addSpacePrefix) {
        this(pieces, scores, types, bos, eos, unk, addSpacePrefix, null);
    }

    /**
     * As above, with the vocabulary's special tokens matched before merging ({@code null}: none). After a matched
     * special token the next text fragment gets the dummy-prefix space again, as llama.cpp does.
     */
    public SentencePieceBpeTokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos, int unk,
            boolean addSpacePrefix, SpecialTokens specials) {
        this(pieces, scores, types, bos, eos, unk, addSpacePrefix, specials, true);
    }

    /** As above, with whether the model wants BOS before prompts ({@link #addBosByDefault()}). */
    public SentencePieceBpeTokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos, int unk,
            boolean addSpacePrefix, SpecialTokens specials, boolean addBosDefault) {
        this.addBosDefault = addBosDefault;
        this.specials = specials == null ? SpecialTokens.none() : specials;
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
        int longest = 0;
        for (String p : pieces) {
            longest = Math.max(longest, p.length());
        }
        this.maxPieceChars = longest;
        boolean nl = false;
        for (String p : pieces) {
            nl |= p.length() > 1 && p.indexOf('\n') >= 0;
        }
        this.newlineInPieces = nl;
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
    public SpecialTokens specialTokens() {
        return specials;
    }

    @Override
    public boolean addBosByDefault() {
        return addBosDefault;
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
        boolean[] prevSpecial = {true};
        specials.partition(text, parseSpecial, new SpecialTokens.Sink() {
            @Override
            public void text(String fragment) {
                String s = (addSpacePrefix && prevSpecial[0] ? " " + fragment : fragment).replace(" ", SPACE);
                for (String x : mergeLines(s)) {
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
                prevSpecial[0] = false;
            }

            @Override
            public void token(int id) {
                out.add(id);
                prevSpecial[0] = true;
            }
        });
        return out.toArray();
    }

    /**
     * {@link #merge} of each line on its own when no multi-character piece holds a newline: a newline symbol then
     * never merges, so no merge crosses it and the result is the same as merging the whole text, with a smaller queue.
     */
    private List<String> mergeLines(String s) {
        if (newlineInPieces || s.indexOf('\n') < 0) {
            return merge(s);
        }
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
            if (nl > from) {
                out.addAll(merge(s.substring(from, nl)));
            }
            out.add("\n");
            from = nl + 1;
        }
        if (from < s.length()) {
            out.addAll(merge(s.substring(from)));
        }
        return out;
    }

    /**
     * The BPE merges of {@code s} (one symbol per code point to start), as llama.cpp's {@code llm_tokenizer_spm}
     * does them: the symbols form a linked list, every adjacent pair whose concatenation is a piece sits in a priority
     * queue ordered by score (higher first) and then by position (leftmost first), and a popped pair is merged unless
     * one of its symbols has changed since it was queued. The same merges as rescanning all pairs after each merge,
     * in O(n log n) instead of O(n²).
     */
    private List<String> merge(String s) {
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            int c = Character.charCount(s.codePointAt(at));
            start[i] = at;
            len[i] = c;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            at += c;
        }
        LongHeap queue = new LongHeap(Math.max(16, n));
        for (int i = 0; i + 1 < n; i++) {
            queuePair(s, start, len, i, i + 1, queue);
        }
        while (queue.size() > 0) {
            long q = queue.poll();
            int left = (int) (q & 0x7FFFFFFFL);
            int right = len[left] == 0 ? -1 : next[left];
            if (right < 0) {
                continue;
            }
            // stale unless the pair now at this position is a piece of the queued score: an entry with the same
            // (score, position) key was queued for the current pair, so merging now keeps llama.cpp's order
            Integer id = ids.get(s.substring(start[left], start[left] + len[left] + len[right]));
            if (id == null || key(scores[id], left) != q) {
                continue;
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                queuePair(s, start, len, prev[left], left, queue);
            }
            if (next[left] >= 0) {
                queuePair(s, start, len, left, next[left], queue);
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            out.add(s.substring(start[i], start[i] + len[i]));
        }
        return out;
    }

    private void queuePair(String s, int[] start, int[] len, int left, int right, LongHeap q) {
        int total = len[left] + len[right];
        if (total > maxPieceChars) {
            return;
        }
        Integer id = ids.get(s.substring(start[left], start[left] + total));
        if (id != null) {
            q.add(key(scores[id], left));
        }
    }

    /** Heap key: higher score first, then leftmost (score order in bits 31-62, position in bits 0-30). */
    private static long key(float score, int left) {
        int bits = Float.floatToIntBits(score);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF); // ordered like the float
        long descending = (~sortable ^ 0x80000000) & 0xFFFFFFFFL; // higher score → smaller, as unsigned
        return (descending << 31) | left;
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) {
            a = new long[capacity];
        }

        int size() {
            return n;
        }

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) {
                    break;
                }
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long v = a[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && a[c + 1] < a[c]) {
                    c++;
                }
                if (a[c] >= v) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
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
