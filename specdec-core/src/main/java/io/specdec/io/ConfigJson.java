package io.specdec.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.specdec.model.LlamaConfig;
import java.math.BigDecimal;

/**
 * Reads a {@link LlamaConfig} embedded as JSON in the project's own files (heads, trainer checkpoints): every field
 * is checked for presence, JSON type and range before the config is built, so a damaged file gives one line naming
 * the file, the field and expected vs found — never a parser's stack trace. Stateless.
 */
public final class ConfigJson {
    private ConfigJson() {}

    /**
     * The config in {@code json}.
     *
     * @param where the file and key it came from (for messages)
     * @throws IllegalArgumentException one line naming {@code where} and the field
     */
    public static LlamaConfig llamaConfig(String json, String where) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(where + ": expected a JSON object, found " + kind(e));
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(where + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        try {
            return new LlamaConfig(integer(o, "dim", where), integer(o, "hiddenDim", where),
                    integer(o, "layers", where), integer(o, "heads", where), integer(o, "kvHeads", where),
                    integer(o, "headDim", where), integer(o, "vocabSize", where), integer(o, "contextLength", where),
                    real(o, "rmsEps", where), real(o, "ropeTheta", where), bool(o, "tiedEmbeddings", where),
                    bool(o, "qkvBias", where), integer(o, "bosId", where), integer(o, "eosId", where));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static JsonElement field(JsonObject o, String name, String where) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(where + ": field " + name + " is missing");
        }
        return e;
    }

    private static int integer(JsonObject o, String name, String where) {
        JsonElement e = field(o, name, where);
        try {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new NumberFormatException();
            }
            BigDecimal v = new BigDecimal(e.getAsJsonPrimitive().getAsString());
            return v.intValueExact();
        } catch (NumberFormatException | ArithmeticException x) {
            throw new IllegalArgumentException(where + ": field " + name + " must be a 32-bit integer, found "
                    + abbreviate(e.toString()));
        }
    }

    private static float real(JsonObject o, String name, String where) {
        JsonElement e = field(o, name, where);
        try {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new NumberFormatException();
            }
            float v = e.getAsFloat();
            if (!Float.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException(where + ": field " + name + " must be a finite number, found "
                    + abbreviate(e.toString()));
        }
    }

    private static boolean bool(JsonObject o, String name, String where) {
        JsonElement e = field(o, name, where);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(where + ": field " + name + " must be true or false, found "
                    + abbreviate(e.toString()));
        }
        return e.getAsBoolean();
    }

    private static String kind(JsonElement e) {
        return e.isJsonArray() ? "an array" : e.isJsonNull() ? "null" : "a value";
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        // Gson wraps its stream errors as "com.google.gson.stream.MalformedJsonException: …": keep what follows
        return abbreviate(line.replaceFirst("^(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error): ", ""));
    }
}
