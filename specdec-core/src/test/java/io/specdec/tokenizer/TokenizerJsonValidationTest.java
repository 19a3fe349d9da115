package io.specdec.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.format.CheckpointException;
import io.specdec.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenizer.json} files that aborted the JVM inside DJL's Rust tokenizer (found by fuzzing: valid JSON, wrong
 * content) are rejected in Java with a one-line error naming the file and the JSON path; the real file still loads.
 */
class TokenizerJsonValidationTest {
    @TempDir
    Path dir;

    private Path mutate(Consumer<JsonObject> change) throws Exception {
        Path src = SharedAssets.require("models/stories260K-hf/tokenizer.json");
        JsonObject root = JsonParser.parseString(Files.readString(src)).getAsJsonObject();
        change.accept(root);
        Path out = Files.createTempFile(dir, "tokenizer", ".json");
        Files.writeString(out, root.toString());
        return out;
    }

    private void rejects(String expected, Consumer<JsonObject> change) throws Exception {
        Path f = mutate(change);
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfTokenizer.load(f, 1, 2));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void abortingFilesAreRejectedInJava() throws Exception {
        // these two aborted the JVM (Rust panic) on the first encode / at load before the validator
        rejects("post_processor.single[0].SpecialToken.id: expected a key of post_processor.special_tokens",
                r -> r.getAsJsonObject("post_processor").getAsJsonArray("single").get(0).getAsJsonObject()
                        .getAsJsonObject("SpecialToken").addProperty("id", "<nope>"));
        rejects("decoder.decoders[3].content: expected a single character",
                r -> r.getAsJsonObject("decoder").getAsJsonArray("decoders").get(3).getAsJsonObject()
                        .addProperty("content", "  "));
        rejects("decoder.decoders[3].start: expected an integer",
                r -> r.getAsJsonObject("decoder").getAsJsonArray("decoders").get(3).getAsJsonObject()
                        .remove("start"));
        rejects("decoder.decoders[1].type: expected one of",
                r -> r.getAsJsonObject("decoder").getAsJsonArray("decoders").get(1).getAsJsonObject()
                        .addProperty("type", "Bogus"));
        rejects("model.merges[0]: expected tokens of model.vocab",
                r -> r.getAsJsonObject("model").getAsJsonArray("merges").set(0, new com.google.gson.JsonPrimitive(
                        "zz qq")));
        rejects("model.vocab", r -> r.getAsJsonObject("model").add("vocab", new JsonObject()));
        rejects("special_tokens[\"<s>\"].ids[0]: expected an integer in 0..511",
                r -> r.getAsJsonObject("post_processor").getAsJsonObject("special_tokens").getAsJsonObject("<s>")
                        .getAsJsonArray("ids").set(0, new com.google.gson.JsonPrimitive(4294967297L)));
        rejects("normalizer.normalizers[1].pattern", r -> r.getAsJsonObject("normalizer")
                .getAsJsonArray("normalizers").get(1).getAsJsonObject().remove("pattern"));
        Path notJson = dir.resolve("bad.json");
        Files.writeString(notJson, "{\"model\": [");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfTokenizer.load(notJson, 1, 2));
        assertTrue(e.getMessage().contains("is not valid JSON"), e.getMessage());
    }

    @Test
    void theRealFileStillLoadsAndRoundTrips() throws Exception {
        Path f = mutate(r -> { });
        try (HfTokenizer t = HfTokenizer.load(f, 1, 2)) {
            int[] ids = t.encode("Once upon a time", true);
            assertTrue(ids.length > 2 && ids[0] == 1);
            assertTrue(t.decode(ids).equals("Once upon a time"), t.decode(ids));
            assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {1, 512}));
            try (HfTokenizer again = HfTokenizer.load(SharedAssets.require("models/stories260K-hf/tokenizer.json"), 1,
                    2)) {
                assertArrayEquals(ids, again.encode("Once upon a time", true));
            }
        }
    }
}
