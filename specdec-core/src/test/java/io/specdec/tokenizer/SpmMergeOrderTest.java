package io.specdec.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.GgufFile;
import io.specdec.io.GgufLoader;
import io.specdec.testing.SharedAssets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * SentencePiece BPE encoding (a priority queue over linked symbols, O(n log n)) against an independent reference:
 * the textbook merge loop written here — rescan every adjacent pair after each merge, merge the highest-scoring piece,
 * leftmost on ties — on random vocabularies full of score ties and on the llama-spm vocabulary of llama.cpp's test
 * fixtures, over random texts. Identical ids, every time.
 */
class SpmMergeOrderTest {
    /** The reference: quadratic rescan, highest score, leftmost on ties; byte fallback for what is not a piece. */
    static int[] reference(SentencePieceBpeTokenizer t, String text) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            ids.putIfAbsent(t.piece(i), i);
        }
        List<Integer> out = new ArrayList<>();
        if (text.isEmpty()) {
            return new int[0];
        }
        String s = (t.addSpacePrefix() ? " " + text : text).replace(" ", "\u2581");
        List<String> sym = new ArrayList<>();
        s.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
        while (sym.size() > 1) {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1;
            for (int i = 0; i + 1 < sym.size(); i++) {
                Integer id = ids.get(sym.get(i) + sym.get(i + 1));
                if (id != null && t.score(id) > best) {
                    best = t.score(id);
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            sym.set(at, sym.get(at) + sym.get(at + 1));
            sym.remove(at + 1);
        }
        for (String x : sym) {
            Integer id = ids.get(x);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : x.getBytes(StandardCharsets.UTF_8)) {
                    Integer bid = ids.get(String.format("<0x%02X>", b & 0xFF));
                    out.add(bid != null ? bid : t.unkId());
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void randomVocabulariesWithTiedScores() {
        SplittableRandom r = new SplittableRandom(5);
        String alphabet = "ab\u2581c\u00e9\ud83d\ude00";
        for (int v = 0; v < 20; v++) {
            LinkedHashSet<String> set = new LinkedHashSet<>(List.of("<unk>", "<s>", "</s>"));
            for (int b = 0; b < 256; b++) {
                set.add(String.format("<0x%02X>", b));
            }
            for (int i = 0; i < 60; i++) {
                StringBuilder p = new StringBuilder();
                int n = 1 + r.nextInt(4);
                for (int j = 0; j < n; j++) {
                    int k = r.nextInt(6);
                    p.append(k == 5 ? "\ud83d\ude00" : String.valueOf(alphabet.charAt(k)));
                }
                set.add(p.toString());
            }
            String[] pieces = set.toArray(new String[0]);
            float[] scores = new float[pieces.length];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = -r.nextInt(5); // few distinct scores: many ties
            }
            SentencePieceBpeTokenizer t = new SentencePieceBpeTokenizer(pieces, scores, null, 1, 2, 0, v % 2 == 0);
            for (int k = 0; k < 50; k++) {
                StringBuilder text = new StringBuilder();
                int n = r.nextInt(40);
                for (int j = 0; j < n; j++) {
                    int c = r.nextInt(8);
                    char ch = c < 5 ? alphabet.charAt(c) : 'z';
                    text.append(c == 5 ? "\ud83d\ude00" : c == 6 || ch == '\u2581' ? " " : String.valueOf(ch));
                }
                assertArrayEquals(reference(t, text.toString()), t.encode(text.toString(), false),
                        "vocabulary " + v + ", text '" + text + "'");
            }
        }
    }

    @Test
    void llamaSpmVocabularyOnRandomText() throws Exception {
        java.nio.file.Path gguf = SharedAssets.require("models/vocab/ggml-vocab-llama-spm.gguf");
        SentencePieceBpeTokenizer t;
        try (GgufFile g = GgufFile.open(gguf)) {
            t = (SentencePieceBpeTokenizer) GgufLoader.tokenizer(g);
        }
        String words = String.join(" ", java.nio.file.Files.readString(java.nio.file.Path.of(gguf + ".inp"),
                StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n"));
        SplittableRandom r = new SplittableRandom(11);
        int checked = 0;
        for (int k = 0; k < 200; k++) {
            int a = r.nextInt(words.length());
            int b = Math.min(words.length(), a + r.nextInt(120));
            String text = words.substring(a, b);
            if (text.length() > 0 && Character.isLowSurrogate(text.charAt(0))) {
                continue;
            }
            assertArrayEquals(reference(t, text), t.encode(text, false), "text '" + text + "'");
            checked++;
        }
        assertTrue(checked > 150, "checked " + checked);
    }
}
