package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.chat.ChatPrompt;
import io.specdec.chat.Conversation;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chat through the library entry point: a multi-turn conversation with a draft model gives, turn by turn, exactly
 * what plain decoding of the same rendered prompt gives (the reference: a fresh autoregressive run on the whole
 * history, no cache kept); the second turn prefills only its new tokens; a cancelled reply keeps the conversation.
 */
class ChatApiTest {
    private static final List<String> TURNS = List.of("Tell me a story about a cat.", "What was the cat's name?",
            "How does the story end?");

    @Test
    void conversationWithADraftMatchesPlainDecodingAndReusesTheCache() {
        try (Specdec plain = Specdec.builder().setModel(DemoModels.chatTarget()).optMaxNewTokens(48).build();
                Specdec spec = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                        .optMaxNewTokens(48).build();
                Conversation chat = spec.conversation()) {
            chat.add(ChatMessage.system("You tell short stories."));
            List<ChatMessage> reference = new ArrayList<>(chat.history());
            int previousPrompt = 0;
            for (String turn : TURNS) {
                reference.add(ChatMessage.user(turn));
                GenerationResult expected = plain.chat(reference);
                Conversation.Reply reply = chat.send(turn);
                int promptLength = reply.promptIds().length;
                GenerationResult got = reply.result();
                assertArrayEquals(expected.ids(), got.ids(), "turn '" + turn + "'");
                assertEquals(expected.text(), got.text());
                reference.add(ChatMessage.assistant(expected.text()));
                assertEquals(reference, chat.history());
                if (previousPrompt > 0) {
                    // everything up to the previous turn's reply is reused; only the new message's tokens run
                    assertTrue(chat.lastReusedTokens() >= previousPrompt, chat.lastReusedTokens() + " reused of a "
                            + "previous prompt of " + previousPrompt);
                    assertEquals(promptLength - 1, chat.lastReusedTokens() + chat.lastPrefilledTokens());
                    assertTrue(chat.lastPrefilledTokens() < promptLength / 2, chat.lastPrefilledTokens()
                            + " prefilled of " + promptLength);
                }
                previousPrompt = promptLength;
            }
        }
    }

    @Test
    void theChatDemoAnswersAndTheReadmeExampleRuns() {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optMaxNewTokens(40).build()) {
            assertTrue(lm.chatTemplate().source().contains("<|im_start|>"), "the demo carries its ChatML template");
            GenerationResult hi = lm.chat(List.of(ChatMessage.user("Hello")));
            assertEquals(io.specdec.generate.FinishReason.EOS, hi.finishReason(), "the turn ends at <|im_end|>");
            assertTrue(hi.text().startsWith("H"), hi.text());
        }
        String name = ChatReadmeExample.run(DemoModels.chatTarget(), DemoModels.chatDraft());
        assertTrue(name.contains("named"), name);
    }

    @Test
    void aCancelledReplyKeepsTheConversation() {
        try (Specdec spec = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optChatTemplate("chatml").optMaxNewTokens(40).build();
                Specdec plain = Specdec.builder().setModel(DemoModels.target()).optChatTemplate("chatml")
                        .optMaxNewTokens(40).build();
                Conversation chat = spec.conversation()) {
            Conversation.Reply reply = chat.send("Tell me a story.");
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < 3 && reply.hasNext(); i++) {
                seen.append(reply.next().text());
            }
            reply.cancel(); // what Ctrl-C does in the chat command
            reply.close();
            assertEquals(2, chat.history().size());
            assertEquals(ChatMessage.assistant(seen.toString()), chat.history().get(1));
            List<ChatMessage> reference = new ArrayList<>(chat.history());
            reference.add(ChatMessage.user("Go on."));
            assertArrayEquals(plain.chat(reference).ids(), chat.send("Go on.").result().ids());
        }
    }

    @Test
    void badConversationsAreOneLineErrors() {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.target()).optMaxNewTokens(4).build()) {
            IllegalStateException none = assertThrows(IllegalStateException.class, lm::chatTemplate);
            assertTrue(none.getMessage().endsWith("has no chat template; choose one with optChatTemplate (built-in:"
                    + " chatml, llama3, llama2, mistral, gemma, phi3, or a .jinja file) or --chat-template"),
                    none.getMessage());
        }
        try (Specdec lm = Specdec.builder().setModel(DemoModels.target()).optChatTemplate("chatml")
                .optMaxNewTokens(4).build()) {
            IllegalArgumentException last = assertThrows(IllegalArgumentException.class,
                    () -> lm.chat(List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello"))));
            assertEquals("chat: the last message is the assistant's; expected one to answer (user, system or tool)",
                    last.getMessage());
            assertThrows(IllegalArgumentException.class, () -> lm.chat(List.of()));
            List<ChatMessage> many = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                many.add(ChatMessage.user("turn " + i));
                many.add(ChatMessage.assistant("ok"));
            }
            many.add(ChatMessage.user("last"));
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> lm.chat(many));
            assertTrue(tooLong.getMessage().matches("prompt has \\d+ tokens but the model's context holds \\d+"),
                    tooLong.getMessage());
            int[] ids = ChatPrompt.encode(lm.chatTemplate(), lm.tokenizer(), List.of(new ChatMessage("narrator",
                    "x")), true);
            assertTrue(ids.length > 3, "an unknown role renders as the template writes it");
        }
    }
}
