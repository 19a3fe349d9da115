package io.specdec.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.GgufFile;
import io.specdec.io.GgufLoader;
import io.specdec.io.Llama2cLoader;
import io.specdec.testing.SharedAssets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tokenizers against llama.cpp's test vectors and the golden prompt ids (independent references). */
class TokenizerVectorsTest {

    private static List<String> inputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> parts = new ArrayList<>(Arrays.asList(all.split("\n__ggml_vocab_test__\n", -1)));
        return parts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-phi-3.gguf",
        "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-mpt.gguf", "ggml-vocab-refact.gguf"})
    void matchesLlamaCppVectors(String vocab) throws IOException {
        Path gguf = SharedAssets.require("models/vocab/" + vocab);
        assertTrue(checkVectors(gguf) > 30);
    }

    /** Checks every vector of {@code gguf}; returns how many (all must pass). */
    static int checkVectors(Path gguf) throws IOException {
        String vocab = gguf.getFileName().toString();
        List<String> in = inputs(Path.of(gguf + ".inp"));
        List<String> out = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        if (in.size() == out.size() + 1 && in.get(in.size() - 1).isEmpty()) {
            in.remove(in.size() - 1);
        }
        assertEquals(out.size(), in.size(), "vector count");
        Tokenizer tok;
        try (GgufFile g = GgufFile.open(gguf)) {
            tok = GgufLoader.tokenizer(g);
        }
        int checked = 0;
        for (int i = 0; i < in.size(); i++) {
            String line = out.get(i).trim();
            int[] expected = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            int[] got = tok.encode(in.get(i), false);
            assertArrayEquals(expected, got, vocab + " vector #" + i + " '" + in.get(i) + "'");
            checked++;
            if (tok instanceof Gpt2BpeTokenizer) {
                assertEquals(in.get(i), tok.decode(got), "gpt2 round trip #" + i);
            }
        }
        return checked;
    }

    /** The same vectors through DJL's Rust tokenizers, given the GGUF vocabulary as an equivalent tokenizer.json. */
    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-gpt-2.gguf", "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-mpt.gguf",
        "ggml-vocab-refact.gguf"})
    void ggufVocabulariesAsTokenizerJsonMatchLlamaCppVectors(String vocab) throws IOException {
        Path gguf = SharedAssets.require("models/vocab/" + vocab);
        List<String> in = inputs(Path.of(gguf + ".inp"));
        List<String> out = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        if (in.size() == out.size() + 1 && in.get(in.size() - 1).isEmpty()) {
            in.remove(in.size() - 1);
        }
        Gpt2BpeTokenizer java;
        try (GgufFile g = GgufFile.open(gguf)) {
            java = (Gpt2BpeTokenizer) GgufLoader.tokenizer(g);
        }
        try (HfTokenizer hf = HfTokenizer.fromJson(gguf, java.toTokenizerJson(), java.bosId(), java.eosId())) {
            for (int i = 0; i < in.size(); i++) {
                String line = out.get(i).trim();
                int[] expected = line.isEmpty() ? new int[0]
                        : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                assertArrayEquals(expected, hf.encode(in.get(i), false), vocab + " vector #" + i);
            }
            assertEquals(46, in.size());
        }
    }

    @Test
    void llama2cTokenizerReproducesGoldenPromptIdsAndRoundTrips() {
        Path tokBin = SharedAssets.require("models/tok512.bin");
        SentencePieceBpeTokenizer tok = Llama2cLoader.readTokenizer(tokBin, 512);
        for (SharedAssets.Golden g : SharedAssets.golden("stories260K-greedy.jsonl")) {
            int[] ids = tok.encode(g.prompt(), true);
            assertArrayEquals(g.promptIds(), ids, "prompt '" + g.prompt() + "'");
            assertEquals(g.prompt(), tok.decode(ids));
        }
        // byte fallback: characters outside the 512-token vocabulary survive a round trip
        String exotic = "naïve 🦙 café";
        assertEquals(exotic, tok.decode(tok.encode(exotic, true)));
    }

    @Test
    void hfTokenizerJsonMatchesGoldenPromptIds() {
        Path json = SharedAssets.require("models/stories260K-hf/tokenizer.json");
        try (HfTokenizer tok = HfTokenizer.load(json, 1, 2)) {
            assertEquals(512, tok.vocabSize());
            for (SharedAssets.Golden g : SharedAssets.golden("stories260K-greedy.jsonl")) {
                assertArrayEquals(g.promptIds(), tok.encode(g.prompt(), true), "prompt '" + g.prompt() + "'");
            }
            int[] gen = SharedAssets.golden("stories260K-greedy.jsonl").get(0).ids();
            SentencePieceBpeTokenizer ref = Llama2cLoader.readTokenizer(SharedAssets.require("models/tok512.bin"), 512);
            assertEquals(ref.decode(gen), tok.decode(gen), "HF decode agrees with the SentencePiece decoder");
        }
    }

    @Test
    void streamingDecoderHoldsBackPartialUtf8() {
        Path tokBin = SharedAssets.require("models/tok512.bin");
        SentencePieceBpeTokenizer tok = Llama2cLoader.readTokenizer(tokBin, 512);
        int[] ids = tok.encode("a 🦙 b", true);
        StreamingDecoder d = new StreamingDecoder(tok, -1);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = d.accept(id);
            assertTrue(piece.indexOf('\uFFFD') < 0, "no replacement characters mid-stream");
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals("a 🦙 b", sb.toString());
    }
}
