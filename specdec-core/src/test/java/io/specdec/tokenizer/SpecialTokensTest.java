package io.specdec.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.GgufFile;
import io.specdec.io.GgufLoader;
import io.specdec.testing.SharedAssets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Special tokens (llama.cpp's {@code parse_special} rules) and pre-tokenizer selection, on llama.cpp's vocabulary
 * files. The expected ids are built from the vocabulary itself (the token's own id, the plain encodings of the text
 * around it), not from this code's earlier output.
 */
class SpecialTokensTest {

    private static Tokenizer load(String vocab) {
        try (GgufFile g = GgufFile.open(SharedAssets.require("models/vocab/" + vocab))) {
            return GgufLoader.tokenizer(g);
        }
    }

    private static int idOf(Tokenizer t, String piece) {
        return IntStream.range(0, t.vocabSize()).filter(i -> t.piece(i).equals(piece)).findFirst().orElseThrow();
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void controlTokensAreTextUnlessParseSpecialIsAsked() {
        Tokenizer mpt = load("ggml-vocab-mpt.gguf");
        int eot = idOf(mpt, "<|endoftext|>");
        String text = "Hello<|endoftext|> world";
        int[] parsed = mpt.encode(text, false, true);
        assertArrayEquals(concat(mpt.encode("Hello", false), new int[] {eot}, mpt.encode(" world", false)), parsed);
        int[] plain = mpt.encode(text, false, false);
        assertFalse(Arrays.stream(plain).anyMatch(i -> i == eot), "user text never yields a control token");
        assertEquals(text, mpt.decode(plain));
        assertArrayEquals(plain, mpt.encode(text, false), "the two-argument encode does not parse specials");
        assertTrue(Arrays.stream(mpt.endOfGenerationIds()).anyMatch(i -> i == eot), "<|endoftext|> ends generation");
    }

    @Test
    void sentencePieceAddsTheSpacePrefixAfterAParsedSpecialToken() {
        Tokenizer spm = load("ggml-vocab-llama-spm.gguf");
        int bos = idOf(spm, "<s>");
        // llama.cpp: the fragment after a special token is tokenized as if at the start (dummy-prefix space)
        assertArrayEquals(concat(new int[] {bos}, spm.encode("Hello world", false)),
                spm.encode("<s>Hello world", false, true));
        assertFalse(Arrays.stream(spm.encode("<s>Hello", false, false)).anyMatch(i -> i == bos));
    }

    @Test
    void userDefinedTokensAreAlwaysMatchedAndPhi3StripsAfterThem() {
        Tokenizer phi3 = load("ggml-vocab-phi-3.gguf");
        int user = idOf(phi3, "<|user|>");
        int end = idOf(phi3, "<|end|>");
        // <|user|> is user-defined (type 4): matched even without parse_special; Phi-3 strips the newline after it
        int[] ids = phi3.encode("<|user|>\nHi<|end|>", false, true);
        assertArrayEquals(concat(new int[] {user}, phi3.encode("Hi", false), new int[] {end}), ids);
        assertTrue(Arrays.stream(phi3.endOfGenerationIds()).anyMatch(i -> i == end), "<|end|> ends a Phi-3 turn");
    }

    @Test
    void unknownPreTokenizerIsAOneLineErrorNamingTheSupportedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreTokenizer.named("llama-9000"));
        assertTrue(e.getMessage().startsWith("unknown pre-tokenizer 'llama-9000' (supported: default, llama3"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals("default", PreTokenizer.named(null).name());
        for (String n : PreTokenizer.supportedNames()) {
            assertFalse(PreTokenizer.named(n).split("Hello, world! 123 ŞŤŘ 你好").isEmpty(), n);
        }
    }

    @Test
    void bosDefaultsFollowTheFileElseLlamaCppsDefaultForTheVocabularyType() {
        assertTrue(load("ggml-vocab-deepseek-coder.gguf").addBosByDefault(), "add_bos_token = true in the file");
        assertTrue(load("ggml-vocab-llama-spm.gguf").addBosByDefault(), "SentencePiece: BOS");
        assertFalse(load("ggml-vocab-gpt-2.gguf").addBosByDefault(), "GPT-2 BPE without the key: no BOS");
        assertTrue(PreTokenizer.named("llama-bpe").addBos() && !PreTokenizer.named("qwen2").addBos());
    }

    @Test
    void llama3PreTokenizerSplitsAsItsExpressionSays() {
        // the split of the Llama-3 expression worked out by hand: "\\s+(?!\\S)" leaves the last space of a run to " x"
        assertEquals(Arrays.asList("Hello", ",", " world", "'s", " ", "123", "4", "\n\n", " ", " x"),
                PreTokenizer.named("llama-bpe").split("Hello, world's 1234\n\n  x"));
        assertEquals(Arrays.asList("Hello", ",", " world", "'s", " ", "1", "2", "3", "4"),
                PreTokenizer.named("qwen2").split("Hello, world's 1234"));
    }

    @Test
    void hfTokenizerLeavesSpecialAddedTokensUnparsedUnlessAsked() {
        Path json = SharedAssets.require("models/stories260K-hf/tokenizer.json");
        try (HfTokenizer tok = HfTokenizer.load(json, 1, 2)) {
            int[] parsed = tok.encode("</s>", false, true);
            assertArrayEquals(new int[] {2}, parsed);
            int[] plain = tok.encode("</s>", false, false);
            assertFalse(Arrays.stream(plain).anyMatch(i -> i == 2), Arrays.toString(plain));
        }
    }
}
