package io.specdec.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The one way checkpoint JSON (config.json, tokenizer.json, safetensors headers and indices) is parsed: strict UTF-8,
 * Gson's nesting limit, and errors as one line naming the file — Gson's own messages span lines and carry a link.
 */
public final class JsonText {
    private JsonText() {}

    /**
     * Parses {@code bytes} of {@code file}.
     *
     * @param what what the bytes are, for messages ("safetensors header"), or null for the whole file
     * @throws CheckpointException "FILE: WHAT is not valid JSON: REASON" or "... is not UTF-8 text"
     */
    public static JsonElement parse(Path file, byte[] bytes, String what) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + ": " + (what == null ? "" : what + " ") + "is not UTF-8 text");
        }
        try {
            return JsonParser.parseString(text);
        } catch (JsonParseException | StackOverflowError e) {
            throw new CheckpointException(file + ": " + (what == null ? "" : what + " ") + "is not valid JSON: "
                    + reason(e), e);
        }
    }

    /**
     * {@code e} as an exact integer in {@code [min, max]} ({@code 4294967304} is out of range, not 8; {@code 4.5} and
     * {@code "4"} are not integers), or null when it is not one.
     */
    public static Long exactInteger(JsonElement e, long min, long max) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        java.math.BigDecimal d;
        try {
            d = e.getAsBigDecimal();
        } catch (NumberFormatException ex) {
            return null;
        }
        if (d.stripTrailingZeros().scale() > 0 || d.compareTo(java.math.BigDecimal.valueOf(min)) < 0
                || d.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
            return null;
        }
        return d.longValueExact();
    }

    /** The first line of a parser message, without exception class names. */
    static String reason(Throwable e) {
        Throwable t = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith(
                e.getCause().getClass().getName()) ? e.getCause() : e;
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        m = m.replaceAll("^(com\\.google\\.gson\\.stream\\.|java\\.io\\.)\\w+: ", "");
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }
}
