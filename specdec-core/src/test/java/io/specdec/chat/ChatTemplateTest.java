package io.specdec.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Chat templates: built-ins against their published layouts, Python methods, errors as one line. */
class ChatTemplateTest {
    private static final List<ChatMessage> CONV = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello!"), ChatMessage.user("Bye"));

    @Test
    void builtinsLayConversationsOutAsTheirModelCardsShow() {
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                + "Hello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.builtin("chatml", "", "").render(CONV, true));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
                + "\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.builtin("llama3", "<|begin_of_text|>", "<|eot_id|>").render(CONV, true));
        // Gemma has no system role: the system text joins the first user turn (llama.cpp's polyfill)
        assertEquals("<bos><start_of_turn>user\nBe brief.\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n",
                ChatTemplate.builtin("gemma", "<bos>", "<eos>").render(CONV, true));
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]",
                ChatTemplate.builtin("llama2", "<s>", "</s>").render(CONV, true));
        for (String n : ChatTemplate.builtinNames()) {
            assertTrue(ChatTemplate.builtin(n, "<s>", "</s>").render(CONV, true).contains("Bye"), n);
        }
    }

    @Test
    void pythonStringMethodsWork() {
        String t = "{{ messages[0].content.strip().upper() }}|{{ messages[0].content.startswith('  a') }}|"
                + "{{ messages[0].content.split(',') | length }}|{{ '-'.join(['x', 'y']) }}|{{ 'ab cd'.title() }}|"
                + "{{ messages[0].get('role') }}|{{ messages[0].get('nope', 'd') }}";
        assertEquals("A,B|True|2|x-y|Ab Cd|user|d", ChatTemplate.of("t", t, "", "")
                .render(List.of(ChatMessage.user("  a,b ")), false).replace("true", "True"));
    }

    @Test
    void errorsAreOneLineAndNameTheTemplate() {
        ChatTemplate alternating = ChatTemplate.of("alt.jinja", "{% for m in messages %}{% if (m['role'] == 'user')"
                + " != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}"
                + "{{ m['content'] }}{% endfor %}", "", "");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> alternating.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals("alt.jinja: raise_exception: Conversation roles must alternate", e.getMessage());
        ChatTemplateException parse = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("bad.jinja", "{% for m in messages %}{{ m.content }}", "", ""));
        assertTrue(parse.getMessage().startsWith("bad.jinja: "), parse.getMessage());
        assertFalse(parse.getMessage().contains("\n"));
        ChatTemplateException unknown = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.builtin("vicuna", "", ""));
        assertEquals("unknown chat template 'vicuna' (built-in: chatml, llama3, llama2, mistral, gemma, phi3)",
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(" ", "x"));
        ChatTemplateException include = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("inc.jinja", "{% include 'META-INF/MANIFEST.MF' %}", "", ""));
        assertTrue(include.getMessage().startsWith("inc.jinja: ") && include.getMessage().contains("cannot include"),
                include.getMessage());
    }

    @Test
    void undefinedVariablesRenderEmptyAsJinjaDefaultUndefined() {
        assertEquals("[]", ChatTemplate.of("u", "[{{ nothing_here }}]", "", "").render(CONV, false));
    }
}
