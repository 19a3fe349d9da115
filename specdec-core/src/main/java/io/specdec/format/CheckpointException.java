package io.specdec.format;

/**
 * A checkpoint, tokenizer or configuration file could not be read: the message names the file, the tensor or key,
 * and what was expected versus found. Unchecked so that loaders compose; callers that want to recover catch it.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Longest message kept (the file path and the check come first; a corrupt name or value is cut). */
    public static final int MAX_MESSAGE = 300;

    public CheckpointException(String message) {
        super(oneLine(message));
    }

    public CheckpointException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /**
     * The message as one printable line: control characters (newlines included) and invisible format characters of
     * corrupt names and values are escaped, and an overlong message is cut at {@link #MAX_MESSAGE} characters.
     */
    static String oneLine(String m) {
        if (m == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(Math.min(m.length(), MAX_MESSAGE + 16));
        for (int i = 0; i < m.length() && sb.length() < MAX_MESSAGE; ) {
            int cp = m.codePointAt(i);
            i += Character.charCount(cp);
            int t = Character.getType(cp);
            if (Character.isISOControl(cp) || t == Character.FORMAT || t == Character.UNASSIGNED
                    || t == Character.SURROGATE || t == Character.PRIVATE_USE || cp == 0xFFFD) {
                sb.append(cp <= 0xFF ? String.format("\\x%02X", cp) : String.format("\\u%04X", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        }
        if (sb.length() >= MAX_MESSAGE) {
            sb.setLength(MAX_MESSAGE - 1);
            sb.append('…');
        }
        return sb.toString();
    }
}
