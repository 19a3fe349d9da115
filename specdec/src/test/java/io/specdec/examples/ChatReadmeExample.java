package io.specdec.examples;

import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.chat.Conversation;
import java.nio.file.Path;
import java.util.List;

/** The README's chat example, compiled and run by {@code ChatApiTest}. */
public class ChatReadmeExample {
    static String run(Path model, Path draft) {
        try (Specdec lm = Specdec.builder().setModel(model).optDraftModel(draft).optMaxNewTokens(64).build()) {
            // one question, answered through the model's own chat template; stops at its end-of-turn token
            String answer = lm.chat(List.of(ChatMessage.system("You are a friendly storyteller."),
                    ChatMessage.user("Tell me a story about a dog."))).text();
            // a conversation keeps its history and its KV cache: each turn prefills only the new message
            try (Conversation chat = lm.conversation()) {
                chat.send("Tell me a story about a girl.").result();
                String name = chat.send("What was the girl's name?").result().text();
                System.out.println(answer + "\n" + name + " (" + chat.lastPrefilledTokens() + " tokens prefilled)");
                return name;
            }
        }
    }
}
