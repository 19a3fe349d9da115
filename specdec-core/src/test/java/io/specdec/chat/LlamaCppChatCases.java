package io.specdec.chat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the test cases of llama.cpp's {@code tests/test-chat-template.cpp} (a copy in
 * {@code $SPECDEC_SHARED/data/chat-templates/test-chat-template.cpp.txt}): the fixed conversation and each
 * {@code TestCase} initializer, whose fields are named by their {@code /* .field= *}{@code /} comments. C++ string
 * literals are decoded (escapes, adjacent-literal concatenation, {@code u8}/{@code U8C(...)} prefixes).
 */
final class LlamaCppChatCases {
    /** One case: its fields by name (strings, booleans) and its extra conversation. */
    record Case(Map<String, String> fields, List<ChatMessage> extraConversation) {
        String name() {
            return fields.get("name");
        }

        String template() {
            return fields.get("template_str");
        }

        String expected() {
            String jinja = fields.getOrDefault("expected_output_jinja", "");
            return jinja.isEmpty() ? fields.get("expected_output") : jinja;
        }

        String bos() {
            return fields.getOrDefault("bos_token", "");
        }

        String eos() {
            return fields.getOrDefault("eos_token", "");
        }

        boolean supportedWithJinja() {
            return !"false".equals(fields.get("supported_with_jinja"));
        }
    }

    final List<ChatMessage> conversation = new ArrayList<>();
    final List<Case> cases = new ArrayList<>();

    private final String src;
    private int at;

    LlamaCppChatCases(Path file) throws IOException {
        src = Files.readString(file, StandardCharsets.UTF_8);
        at = src.indexOf("std::vector<llama_chat_message> conversation {");
        at = src.indexOf('{', at) + 1;
        for (List<String> pair : pairs()) {
            conversation.add(new ChatMessage(pair.get(0), pair.get(1)));
        }
        at = src.indexOf("std::vector<TestCase> test_cases {");
        at = src.indexOf('{', at) + 1;
        while (true) {
            skipSpace();
            if (src.charAt(at) == '}') {
                break;
            }
            expect('{');
            cases.add(readCase());
            skipSpace();
            if (src.charAt(at) == ',') {
                at++;
            }
        }
    }

    private Case readCase() {
        Map<String, String> fields = new LinkedHashMap<>();
        List<ChatMessage> extra = new ArrayList<>();
        String field = null;
        while (true) {
            skipSpace();
            char c = src.charAt(at);
            if (c == '}') {
                at++;
                return new Case(fields, extra);
            }
            if (src.startsWith("/*", at)) {
                int end = src.indexOf("*/", at);
                String comment = src.substring(at + 2, end).trim();
                at = end + 2;
                if (comment.startsWith(".")) {
                    field = comment.substring(1).replace("=", "").trim();
                }
                continue;
            }
            if (c == ',') {
                at++;
                continue;
            }
            if (c == '{') {
                at++;
                for (List<String> pair : pairs()) {
                    extra.add(new ChatMessage(pair.get(0), pair.get(1)));
                }
                field = null;
                continue;
            }
            if (src.startsWith("true", at) || src.startsWith("false", at)) {
                boolean t = src.startsWith("true", at);
                fields.put(field, Boolean.toString(t));
                at += t ? 4 : 5;
                continue;
            }
            fields.put(field, readString());
        }
    }

    /** {{"a", "b"}, {"c", "d"}} after the opening brace; consumes the closing one. */
    private List<List<String>> pairs() {
        List<List<String>> out = new ArrayList<>();
        while (true) {
            skipSpace();
            char c = src.charAt(at);
            if (c == '}') {
                at++;
                return out;
            }
            if (c == ',') {
                at++;
                continue;
            }
            expect('{');
            skipSpace();
            String a = readString();
            skipSpace();
            expect(',');
            skipSpace();
            String b = readString();
            skipSpace();
            expect('}');
            out.add(List.of(a, b));
        }
    }

    private void expect(char c) {
        if (src.charAt(at) != c) {
            throw new IllegalStateException("expected '" + c + "' at " + at + ": "
                    + src.substring(at, Math.min(src.length(), at + 40)));
        }
        at++;
    }

    private void skipSpace() {
        while (true) {
            while (at < src.length() && Character.isWhitespace(src.charAt(at))) {
                at++;
            }
            if (src.startsWith("//", at)) {
                at = src.indexOf('\n', at);
            } else {
                return;
            }
        }
    }

    /** One or more adjacent C++ string literals, each maybe u8"..." or U8C("..."). */
    private String readString() {
        StringBuilder b = new StringBuilder();
        boolean any = false;
        while (true) {
            skipSpace();
            boolean macro = false;
            if (src.startsWith("U8C(", at)) {
                at += 4;
                macro = true;
                skipSpace();
            }
            if (src.startsWith("u8\"", at)) {
                at += 2;
            }
            if (at >= src.length() || src.charAt(at) != '"') {
                if (!any) {
                    throw new IllegalStateException("expected a string literal at " + at + ": "
                            + src.substring(at, Math.min(src.length(), at + 40)));
                }
                return b.toString();
            }
            at++;
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            while (src.charAt(at) != '"') {
                char c = src.charAt(at++);
                if (c == '\\') {
                    char e = src.charAt(at++);
                    switch (e) {
                        case 'n': bytes.write('\n'); break;
                        case 't': bytes.write('\t'); break;
                        case 'r': bytes.write('\r'); break;
                        case '0': bytes.write(0); break;
                        case 'x': {
                            int end = at;
                            while (end < src.length() && Character.digit(src.charAt(end), 16) >= 0) {
                                end++;
                            }
                            bytes.write(Integer.parseInt(src.substring(at, end), 16));
                            at = end;
                            break;
                        }
                        default: bytes.write(e);
                    }
                } else {
                    byte[] u = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                    if (Character.isHighSurrogate(c)) {
                        u = src.substring(at - 1, at + 1).getBytes(StandardCharsets.UTF_8);
                        at++;
                    }
                    bytes.write(u, 0, u.length);
                }
            }
            at++;
            b.append(bytes.toString(StandardCharsets.UTF_8));
            any = true;
            if (macro) {
                skipSpace();
                expect(')');
            }
        }
    }
}
