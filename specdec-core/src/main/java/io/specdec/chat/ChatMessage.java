package io.specdec.chat;

/**
 * One turn of a conversation: a role ({@code system}, {@code user}, {@code assistant}, or any role the model's
 * template knows, such as {@code tool}) and its text.
 *
 * @param role the speaker; not blank
 * @param content the text; not null (may be empty)
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("chat message role: expected a non-blank role, found "
                    + (role == null ? "null" : "'" + role + "'"));
        }
        if (content == null) {
            throw new IllegalArgumentException("chat message content (role '" + role + "'): expected text, found null");
        }
    }

    /** A system message. */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /** A user message. */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /** An assistant message. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
