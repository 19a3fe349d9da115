package io.specdec.chat;

/** A chat template that cannot be parsed or rendered, or that refused the conversation; the message is one line. */
public final class ChatTemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }
}
