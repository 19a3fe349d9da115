package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.CheckpointWriter;
import io.specdec.io.Llama2cLoader;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaConfig;
import io.specdec.testing.TestModels;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Byte-fallback BPE training: exact vocabulary size, lossless round trips, frequent words merged, both formats. */
class BpeTrainerTest {
    static List<String> corpus() {
        String[] words = {"the", "cat", "sat", "on", "mat", "and", "dog", "ran", "to", "park", "happy", "little",
            "girl", "named", "Lily", "she", "saw", "a", "big", "red", "ball"};
        SplittableRandom r = new SplittableRandom(5);
        List<String> out = new ArrayList<>();
        for (int s = 0; s < 300; s++) {
            StringBuilder b = new StringBuilder();
            int n = 5 + r.nextInt(20);
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
                if (r.nextInt(8) == 0) {
                    b.append(r.nextBoolean() ? "." : ",\n");
                }
            }
            out.add(b.toString());
        }
        out.add("un café très spécial");
        return out;
    }

    @Test
    void learnsAVocabularyThatRoundTripsEveryText() {
        assertEquals(330, BpeTrainer.train(corpus(), 330, 2, null).vocabSize());
        // 400 is more than this corpus has pairs seen twice for: training stops early, below the size asked
        SentencePieceBpeTokenizer tok = BpeTrainer.train(corpus(), 400, 2, null);
        assertTrue(tok.vocabSize() > 330 && tok.vocabSize() <= 400, "vocabulary of " + tok.vocabSize());
        assertEquals("<s>", tok.piece(1));
        assertEquals("<0x41>", tok.piece(3 + 0x41));
        for (String t : List.of("the cat sat on the mat.", "Lily saw a big red ball,\nand the dog ran",
                "Zebra ☃ 🚀 naïve", "", "  two  spaces ")) {
            assertEquals(t, tok.decode(tok.encode(t, true)), "round trip of '" + t + "'");
        }
        int[] ids = tok.encode("the little girl", false);
        assertEquals(3, ids.length, "frequent words are single pieces: " + java.util.Arrays.toString(ids));
        assertEquals("\u2581little", tok.piece(ids[1]));
        int[] snow = tok.encode("☃", false); // never seen: dummy-prefix piece, then 3 UTF-8 bytes
        assertEquals(4, snow.length);
        assertEquals(SentencePieceBpeTokenizer.TYPE_BYTE, tok.type(snow[1]));
    }

    @Test
    void writesTheFormatsTheLoadersRead(@TempDir Path dir) throws Exception {
        SentencePieceBpeTokenizer tok = BpeTrainer.train(corpus(), 300, 2, null);
        Path bin = dir.resolve("tok.bin");
        CheckpointWriter.writeLlama2cTokenizer(tok, bin);
        SentencePieceBpeTokenizer back = Llama2cLoader.readTokenizer(bin, 300);
        LlamaConfig c = TestModels.tiny(300);
        Path gguf = dir.resolve("m.gguf");
        CheckpointWriter.writeGguf(TestModels.random(c, 1, 0.1f), tok, gguf);
        LoadedModel lm = ModelLoader.load(gguf);
        for (String t : corpus().subList(0, 20)) {
            assertArrayEquals(tok.encode(t, true), back.encode(t, true));
            assertArrayEquals(tok.encode(t, true), lm.tokenizer().encode(t, true));
        }
    }

    @Test
    void aVocabularyTooSmallIsAOneLineError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train(corpus(), 100, 1, null));
        assertTrue(e.getMessage().startsWith("BPE vocabulary size must be in 260.."), e.getMessage());
    }
}
