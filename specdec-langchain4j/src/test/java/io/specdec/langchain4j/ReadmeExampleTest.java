package io.specdec.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.service.AiServices;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's LangChain4j example is this class's {@link #example} (between the markers, compiled here), run on the
 * chat demo: the story equals {@code Specdec.chat}'s; and the README's code block is the same text, so the two
 * cannot drift apart.
 */
class ReadmeExampleTest {
    interface Storyteller {
        String tell(String request);
    }

    private static String example(Path model, Path draft) {
        // README:begin
        Specdec lm = Specdec.builder().setModel(model).optDraftModel(draft).build();
        Storyteller teller = AiServices.create(Storyteller.class, SpecdecChatModel.builder().setSpecdec(lm).build());
        String story = teller.tell("Tell me a story about a cat.");
        // README:end
        try (lm) {
            assertEquals(lm.chat(List.of(ChatMessage.user("Tell me a story about a cat."))).text(), story);
        }
        return story;
    }

    private static List<String> between(List<String> lines, String begin, String end) {
        int a = lines.indexOf(lines.stream().filter(l -> l.trim().equals(begin)).findFirst().orElseThrow());
        int b = lines.indexOf(lines.stream().filter(l -> l.trim().equals(end)).findFirst().orElseThrow());
        return lines.subList(a + 1, b).stream().map(String::trim).collect(Collectors.toList());
    }

    @Test
    void theReadmeExampleCompilesRunsAndIsTheReadmeText() throws IOException {
        assertTrue(!example(DemoModels.chatTarget(), DemoModels.chatDraft()).isEmpty());
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> source = Files.readAllLines(Path.of("src/test/java/io/specdec/langchain4j/ReadmeExampleTest.java"),
                StandardCharsets.UTF_8);
        List<String> readme = Files.readAllLines(root.resolve("README.md"), StandardCharsets.UTF_8);
        List<String> code = between(source, "// README:begin", "// README:end");
        int at = readme.indexOf(readme.stream().filter(l -> l.contains("<!-- ReadmeExampleTest -->")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no <!-- ReadmeExampleTest --> marker")));
        List<String> block = readme.subList(at + 2, at + 2 + code.size()).stream().map(String::trim)
                .collect(Collectors.toList());
        assertEquals("```java", readme.get(at + 1).trim());
        assertEquals(code, block, "README.md's LangChain4j example and ReadmeExampleTest.example differ");
        assertEquals("```", readme.get(at + 2 + code.size()).trim());
    }
}
