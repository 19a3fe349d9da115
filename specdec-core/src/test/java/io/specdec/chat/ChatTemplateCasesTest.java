package io.specdec.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.testing.SharedAssets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's own chat-template cases: every case it marks as supported with Jinja renders its fixed conversation
 * exactly as llama.cpp expects ({@code expected_output_jinja}, else {@code expected_output}).
 */
class ChatTemplateCasesTest {

    @Test
    void everyJinjaCaseOfLlamaCppRendersAsExpected() throws IOException {
        LlamaCppChatCases file = new LlamaCppChatCases(
                SharedAssets.require("data/chat-templates/test-chat-template.cpp.txt"));
        assertEquals(6, file.conversation.size());
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (LlamaCppChatCases.Case c : file.cases) {
            if (!c.supportedWithJinja()) {
                continue;
            }
            List<ChatMessage> conv = new ArrayList<>(file.conversation);
            conv.addAll(c.extraConversation());
            String got;
            try {
                got = ChatTemplate.of(c.name(), c.template(), c.bos(), c.eos()).render(conv, true);
            } catch (ChatTemplateException e) {
                got = "ERROR " + e.getMessage();
            }
            checked++;
            if (!got.equals(c.expected())) {
                failures.add(c.name() + "\n  expected: " + c.expected().replace("\n", "\\n") + "\n  got:      "
                        + got.replace("\n", "\\n"));
            }
        }
        System.out.println("llama.cpp chat-template cases: " + (checked - failures.size()) + "/" + checked
                + " pass (" + (file.cases.size() - checked) + " not supported with Jinja there)");
        assertTrue(checked > 30, "cases read: " + checked);
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " differ:\n" + String.join("\n", failures));
    }

    /**
     * Each real template in the shared folder renders llama.cpp's conversation with a generation prompt, or fails with
     * one line that names the template and what it could not do. The count of those that render is pinned from below
     * so a regression in the engine shows.
     */
    @Test
    void everyRealTemplateRendersOrGivesAOneLineError() throws IOException {
        LlamaCppChatCases file = new LlamaCppChatCases(
                SharedAssets.require("data/chat-templates/test-chat-template.cpp.txt"));
        java.nio.file.Path dir = SharedAssets.require("data/chat-templates");
        List<java.nio.file.Path> files;
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        int rendered = 0;
        List<String> errors = new ArrayList<>();
        for (java.nio.file.Path f : files) {
            String src = java.nio.file.Files.readString(f);
            try {
                String out = ChatTemplate.of(f.getFileName().toString(), src, "<s>", "</s>").render(file.conversation,
                        true);
                assertTrue(out.contains("Another question"), f + " rendered without the last user message:\n" + out);
                rendered++;
            } catch (ChatTemplateException e) {
                assertTrue(!e.getMessage().contains("\n") && e.getMessage().startsWith(f.getFileName().toString()),
                        e.getMessage());
                errors.add(e.getMessage());
            }
        }
        System.out.println(files.size() + " real templates: " + rendered + " render, " + errors.size() + " refuse:");
        errors.forEach(e -> System.out.println("  " + e));
        assertEquals(57, files.size());
        assertTrue(rendered >= 55, rendered + " of " + files.size() + " render");
    }
}
