package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.testing.SharedAssets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenize} against llama.cpp's own test vectors (the llama-spm vocabulary: {@code .inp} texts, {@code .out}
 * ids, no BOS — the command's default), in all three output forms; usage errors name the flags.
 */
class TokenizeCommandTest {
    @Test
    void idsMatchLlamaCppVectorsInEveryOutputForm(@TempDir Path dir) throws Exception {
        Path vocab = SharedAssets.require("models/vocab/ggml-vocab-llama-spm.gguf");
        List<String> in = Arrays.asList(Files.readString(Path.of(vocab + ".inp"), StandardCharsets.UTF_8)
                .split("\n__ggml_vocab_test__\n", -1));
        List<String> out = Files.readAllLines(Path.of(vocab + ".out"), StandardCharsets.UTF_8);
        int checked = 0;
        for (int i = 0; i < out.size() && checked < 6; i++) {
            String text = in.get(i);
            if (text.isEmpty() || text.contains("\n")) {
                continue; // --prompt takes one line; the file form is checked below
            }
            String line = out.get(i).trim();
            int[] expected = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            CliRun j = CliRun.of("tokenize", "--model", vocab.toString(), "--prompt", text, "--json");
            assertEquals(0, j.code(), j.err());
            JsonObject o = JsonParser.parseString(j.out().strip()).getAsJsonObject();
            int[] ids = new int[o.getAsJsonArray("ids").size()];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = o.getAsJsonArray("ids").get(k).getAsInt();
            }
            assertArrayEquals(expected, ids, "vector #" + i + " '" + text + "'");
            assertEquals(ids.length, o.getAsJsonArray("pieces").size());
            CliRun plain = CliRun.of("tokenize", "--model", vocab.toString(), "--prompt", text, "--ids");
            assertEquals(Arrays.toString(expected), plain.out().strip());
            Path f = dir.resolve("t" + i + ".txt");
            Files.writeString(f, text);
            CliRun lines = CliRun.of("tokenize", "--model", vocab.toString(), "--prompt-file", f.toString());
            assertEquals(expected.length, lines.out().lines().count(), lines.out());
            checked++;
        }
        assertEquals(6, checked);
        CliRun withBos = CliRun.of("tokenize", "--model", vocab.toString(), "--prompt", "Hello", "--ids", "--bos");
        assertTrue(withBos.out().startsWith("[1, "), withBos.out());
    }

    @Test
    void usageErrorsNameTheFlags() {
        CliRun none = CliRun.of("tokenize");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("exactly one of --prompt and --prompt-file"), none.err());
        CliRun both = CliRun.of("tokenize", "--prompt", "a", "--ids", "--json");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--ids and --json are alternatives"), both.err());
        CliRun missing = CliRun.of("tokenize", "--prompt-file", "/nonexistent/x.txt");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("/nonexistent/x.txt"), missing.err());
    }
}
