package io.specdec.chat;

import io.specdec.tokenizer.Tokenizer;
import java.util.List;

/**
 * Messages → prompt ids: the template renders them with a generation prompt, and the text is tokenized with special
 * tokens parsed (the template wrote {@code <|im_start|>} and friends on purpose). BOS is prepended when the model wants
 * it and the template did not already write it. The conversation must end with a message to answer: a last
 * {@code assistant} message is refused (continuing a reply is not supported). Stateless.
 */
public final class ChatPrompt {
    private ChatPrompt() {}

    /**
     * @throws IllegalArgumentException one line, for an empty list or a last message from the assistant
     * @throws ChatTemplateException if the template refuses the conversation
     */
    public static int[] encode(ChatTemplate template, Tokenizer tokenizer, List<ChatMessage> messages, boolean addBos) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("chat: expected at least one message, found none");
        }
        String last = messages.get(messages.size() - 1).role();
        if (last.equals("assistant")) {
            throw new IllegalArgumentException("chat: the last message is the assistant's; expected one to answer"
                    + " (user, system or tool)");
        }
        String text = template.render(messages, true);
        boolean bos = addBos && tokenizer.addBosByDefault() && tokenizer.bosId() >= 0
                && (template.bosToken().isEmpty() || !text.startsWith(template.bosToken()));
        return tokenizer.encode(text, bos, true);
    }
}
