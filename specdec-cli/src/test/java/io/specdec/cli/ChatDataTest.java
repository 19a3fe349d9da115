package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.demo.DemoModels;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat-demo recipe in small: stories become ChatML conversations; train-lm fine-tunes a model with two added
 * control tokens; convert embeds the template; the result tokenizes the markers as single tokens, ends turns at
 * {@code <|im_end|>} and chats with its own template.
 */
class ChatDataTest {
    @Test
    void storiesToConversationsToAChattingModel(@TempDir Path dir) throws Exception {
        Path stories = dir.resolve("stories.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            b.append("Once upon a time, there was a little girl named Lily").append(i % 3 == 0 ? "" : "a")
                    .append(". She liked to play with her dog. One day they went to the park and had fun.\n")
                    .append("<|endoftext|>\n");
        }
        Files.writeString(stories, b);
        Path chat = dir.resolve("chat.txt");
        CliRun m = CliRun.of("make-chat-data", "--stories", stories.toString(), "--out", chat.toString(), "--seed", "3");
        assertEquals(0, m.code(), m.err());
        String text = Files.readString(chat);
        assertTrue(text.contains("<|im_start|>user\n") && text.contains("<|im_start|>assistant\nOnce upon a time"),
                text);
        assertTrue(m.out().contains("12 conversations"), m.out());

        Path lm = dir.resolve("lm");
        Path raw = dir.resolve("raw.gguf");
        CliRun t = CliRun.of("train-lm", "--text", chat.toString(), "--tokenizer", DemoModels.target().toString(),
                "--init", DemoModels.target().toString(), "--add-special", "<|im_start|>,<|im_end|>", "--context",
                "256", "--seq-len", "64", "--batch-size", "2", "--steps", "2", "--warmup", "1", "--eval-every", "2",
                "--eval-batches", "1", "--val-fraction", "0.2", "--out", lm.toString(), "--export", raw.toString());
        assertEquals(0, t.code(), t.err());
        Path model = dir.resolve("chat.gguf");
        CliRun c = CliRun.of("convert", "quantize", "--model", raw.toString(), "--out", model.toString(), "--type",
                "f16", "--chat-template", "chatml");
        assertEquals(0, c.code(), c.err());
        try (LoadedModel l = ModelLoader.load(model)) {
            Tokenizer tok = l.tokenizer();
            assertEquals(514, tok.vocabSize());
            assertEquals(514, l.config().vocabSize());
            assertArrayEquals(new int[] {512}, tok.encode("<|im_start|>", false, true));
            assertTrue(tok.encode("<|im_start|>", false, false).length > 1, "user text never yields the marker");
            assertTrue(Arrays.stream(tok.endOfGenerationIds()).anyMatch(i -> i == 513), "<|im_end|> ends a turn");
        }
        CliRun talk = CliRun.withInput("Tell me a story.\n", "chat", "--model", model.toString(), "--max-tokens", "8",
                "--stats");
        assertEquals(0, talk.code(), talk.err());
        assertTrue(talk.err().contains("[turn 1: prompt"), talk.err());
    }
}
