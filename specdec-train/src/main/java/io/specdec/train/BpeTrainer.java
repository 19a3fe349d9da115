package io.specdec.train;

import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Trains a byte-fallback BPE vocabulary in the SentencePiece-BPE form that {@link SentencePieceBpeTokenizer} (GGUF
 * {@code llama} vocabularies, llama2.c {@code tokenizer.bin}) encodes with. The method is Sennrich et al., "Neural
 * Machine Translation of Rare Words with Subword Units" (ACL 2016), with SentencePiece's conventions (Kudo and
 * Richardson, EMNLP 2018): a dummy-prefix space, spaces as "▁" attached to the start of the following word, and
 * pieces never crossing a word start; characters too rare for the vocabulary fall back to {@code <0xXX>} bytes.
 *
 * <p>Vocabulary layout: 0 {@code <unk>}, 1 {@code <s>} (BOS), 2 {@code </s>} (EOS), 3..258 the byte pieces
 * {@code <0x00>..<0xFF>}, then the kept characters (most frequent first), then the merges in the order learned.
 * Merge {@code r} gets score {@code -r}, so the encoder's "merge the highest-scoring adjacent pair" applies merges in
 * training order. Every text round-trips through encode/decode (bytes cover what the pieces do not).
 *
 * <p>Deterministic: ties in pair counts go to the lexicographically smaller pair. Stateless; thread-safe.
 */
public final class BpeTrainer {
    private static final String SPACE = "\u2581";
    private static final int SPECIAL = 3;
    private static final int BYTES = 256;

    private BpeTrainer() {}

    /**
     * Learns a vocabulary of exactly {@code vocabSize} pieces from {@code texts} (fewer only when the texts run out
     * of pairs to merge).
     *
     * @param minCharCount characters seen fewer times become byte fallback
     * @param progress called with the vocabulary size after each merge (may be null)
     * @throws IllegalArgumentException when {@code vocabSize} cannot hold the special, byte and character pieces
     */
    public static SentencePieceBpeTokenizer train(List<String> texts, int vocabSize, int minCharCount,
            IntConsumer progress) {
        if (vocabSize < SPECIAL + BYTES + 1 || vocabSize > 1 << 20) {
            throw new IllegalArgumentException("BPE vocabulary size must be in " + (SPECIAL + BYTES + 1) + ".."
                    + (1 << 20) + " (3 special + 256 byte pieces + characters), found " + vocabSize);
        }
        Map<String, Integer> words = new HashMap<>();
        for (String t : texts) {
            if (t.isEmpty()) {
                continue;
            }
            String s = (" " + t).replace(" ", SPACE);
            int start = 0;
            for (int i = 0; i <= s.length(); i++) {
                boolean end = i == s.length();
                char ch = end ? 0 : s.charAt(i);
                if (end || (ch == '\u2581' && i > start) || ch == '\n') {
                    if (i > start) {
                        words.merge(s.substring(start, i), 1, Integer::sum);
                    }
                    if (!end && ch == '\n') {
                        words.merge("\n", 1, Integer::sum);
                        start = i + 1;
                    } else {
                        start = i;
                    }
                }
            }
        }
        // characters by frequency
        Map<String, Long> chars = new HashMap<>();
        for (Map.Entry<String, Integer> w : words.entrySet()) {
            String s = w.getKey();
            for (int i = 0; i < s.length(); ) {
                int n = Character.charCount(s.codePointAt(i));
                chars.merge(s.substring(i, i + n), (long) w.getValue(), Long::sum);
                i += n;
            }
        }
        List<Map.Entry<String, Long>> byFreq = new ArrayList<>(chars.entrySet());
        byFreq.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        List<String> pieces = new ArrayList<>();
        pieces.add("<unk>");
        pieces.add("<s>");
        pieces.add("</s>");
        for (int b = 0; b < BYTES; b++) {
            pieces.add(String.format("<0x%02X>", b));
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        int room = vocabSize - pieces.size();
        for (Map.Entry<String, Long> e : byFreq) {
            if (e.getValue() < minCharCount || ids.size() >= room) {
                break;
            }
            ids.put(e.getKey(), pieces.size());
            pieces.add(e.getKey());
        }
        int firstMerge = pieces.size();
        // words as symbol-id arrays (-1: a character that falls back to bytes, never merged)
        List<int[]> seqs = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        for (Map.Entry<String, Integer> w : words.entrySet()) {
            String s = w.getKey();
            int[] sym = new int[s.codePointCount(0, s.length())];
            int k = 0;
            for (int i = 0; i < s.length(); ) {
                int n = Character.charCount(s.codePointAt(i));
                sym[k++] = ids.getOrDefault(s.substring(i, i + n), -1);
                i += n;
            }
            if (sym.length > 1) {
                seqs.add(sym);
                freqs.add(w.getValue());
            }
        }
        while (pieces.size() < vocabSize) {
            Map<Long, long[]> counts = new HashMap<>();
            for (int w = 0; w < seqs.size(); w++) {
                int[] sym = seqs.get(w);
                for (int i = 0; i + 1 < sym.length; i++) {
                    if (sym[i] >= 0 && sym[i + 1] >= 0) {
                        counts.computeIfAbsent(((long) sym[i] << 32) | sym[i + 1], x -> new long[1])[0] += freqs.get(w);
                    }
                }
            }
            if (counts.isEmpty()) {
                break;
            }
            long best = -1;
            long bestCount = -1;
            String bestText = null;
            for (Map.Entry<Long, long[]> e : counts.entrySet()) {
                long c = e.getValue()[0];
                if (c < bestCount) {
                    continue;
                }
                String text = pieces.get((int) (e.getKey() >>> 32)) + pieces.get((int) (long) e.getKey());
                if (c > bestCount || text.compareTo(bestText) < 0) {
                    best = e.getKey();
                    bestCount = c;
                    bestText = text;
                }
            }
            if (bestCount < 2) {
                break; // a pair seen once teaches nothing
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            Integer existing = ids.get(bestText);
            int id;
            if (existing != null) {
                id = existing;
            } else {
                id = pieces.size();
                pieces.add(bestText);
                ids.put(bestText, id);
            }
            for (int w = 0; w < seqs.size(); w++) {
                int[] sym = seqs.get(w);
                int n = 0;
                boolean changed = false;
                for (int i = 0; i < sym.length; i++) {
                    if (i + 1 < sym.length && sym[i] == a && sym[i + 1] == b) {
                        sym[n++] = id;
                        i++;
                        changed = true;
                    } else {
                        sym[n++] = sym[i];
                    }
                }
                if (changed) {
                    seqs.set(w, Arrays.copyOf(sym, n));
                }
            }
            if (progress != null) {
                progress.accept(pieces.size());
            }
        }
        String[] p = pieces.toArray(new String[0]);
        float[] scores = new float[p.length];
        for (int i = firstMerge; i < p.length; i++) {
            scores[i] = -(i - firstMerge);
        }
        for (int i = SPECIAL + BYTES; i < firstMerge; i++) {
            scores[i] = -(p.length + i); // characters: below every merge (never a merge result)
        }
        return new SentencePieceBpeTokenizer(p, scores, null, 1, 2, 0, true);
    }
}
