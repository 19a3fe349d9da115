package io.specdec.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.specdec.chat.ChatMessage;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One {@code /v1/chat/completions} or {@code /v1/completions} request, read field by field with its type and range
 * checked: a wrong field is a 400 naming it ({@code param}) and expected vs found. Fields the server does not act on
 * but clients commonly send ({@code user}, {@code frequency_penalty} at 0, {@code stream_options}, …) are accepted;
 * ones that would change the output and are not supported ({@code n} other than 1, {@code tools}, non-zero penalties,
 * a logit bias, {@code logprobs}, {@code echo}, {@code best_of} over 1, a {@code suffix}, a JSON response format) are
 * refused rather than silently ignored.
 *
 * @param model the requested model id (null: the served one)
 * @param messages chat messages (chat endpoint) or null
 * @param prompt the prompt (completions endpoint) or null
 * @param stream whether to answer as server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param config limits, stop strings and sampling for this request
 */
record CompletionRequest(String model, List<ChatMessage> messages, String prompt, boolean stream, boolean includeUsage,
        GenerationConfig config) {

    private static final Set<String> KNOWN = Set.of("model", "messages", "prompt", "stream", "stream_options",
            "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n", "user",
            "frequency_penalty", "presence_penalty", "logprobs", "top_logprobs", "metadata", "store",
            "parallel_tool_calls", "response_format", "service_tier", "echo", "best_of", "suffix", "logit_bias",
            "tools", "tool_choice", "reasoning_effort", "modalities");

    static CompletionRequest parse(JsonObject o, boolean chat, GenerationConfig defaults, int contextLength) {
        for (String k : o.keySet()) {
            if (!KNOWN.contains(k)) {
                throw ApiError.invalid(k, "unknown field '" + k + "'");
            }
        }
        String model = optString(o, "model");
        List<ChatMessage> messages = null;
        String prompt = null;
        if (chat) {
            JsonArray arr = array(o, "messages");
            if (arr.isEmpty()) {
                throw ApiError.invalid("messages", "messages: expected at least one message, found none");
            }
            messages = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                messages.add(message(arr.get(i), "messages[" + i + "]"));
            }
        } else {
            JsonElement p = o.get("prompt");
            if (p == null || p.isJsonNull()) {
                throw ApiError.invalid("prompt", "prompt: required");
            }
            if (p.isJsonArray() && p.getAsJsonArray().size() == 1 && isString(p.getAsJsonArray().get(0))) {
                prompt = p.getAsJsonArray().get(0).getAsString();
            } else if (isString(p)) {
                prompt = p.getAsString();
            } else {
                throw ApiError.invalid("prompt", "prompt: expected a string, found " + kind(p));
            }
        }
        boolean stream = bool(o, "stream", false);
        boolean includeUsage = false;
        if (o.has("stream_options") && !o.get("stream_options").isJsonNull()) {
            if (!o.get("stream_options").isJsonObject()) {
                throw ApiError.invalid("stream_options", "stream_options: expected an object");
            }
            includeUsage = bool(o.getAsJsonObject("stream_options"), "include_usage", false);
        }
        Integer n = optInt(o, "n", 1, 1 << 20);
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "n: only 1 is supported, found " + n);
        }
        refuseUnlessNeutral(o);
        if (o.has("tools") && !o.get("tools").isJsonNull()
                && !(o.get("tools").isJsonArray() && o.getAsJsonArray("tools").isEmpty())) {
            throw ApiError.invalid("tools", "tools: tool calling is not supported");
        }
        Integer max = optInt(o, "max_completion_tokens", 1, Integer.MAX_VALUE);
        if (max == null) {
            max = optInt(o, "max_tokens", 1, Integer.MAX_VALUE);
        }
        String maxName = o.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (max != null && max > contextLength) {
            throw ApiError.invalid(maxName, maxName + ": " + max + " is more than the model's context of "
                    + contextLength + " tokens");
        }
        SamplingConfig.Builder s = defaults.sampling().toBuilder();
        Double t = optNumber(o, "temperature", 0, 2);
        if (t != null) {
            s.optTemperature(t < SamplingConfig.MIN_TEMPERATURE ? 0f : t.floatValue());
        }
        Double p = optNumber(o, "top_p", 0, 1);
        if (p != null) {
            if (p <= 0) {
                throw ApiError.invalid("top_p", "top_p: expected a number in (0, 1], found " + p);
            }
            s.optTopP(p.floatValue());
        }
        if (o.has("seed") && !o.get("seed").isJsonNull()) {
            s.optSeed(longValue(o.get("seed"), "seed"));
        }
        List<String> stop = new ArrayList<>(defaults.stopStrings());
        JsonElement st = o.get("stop");
        if (st != null && !st.isJsonNull()) {
            if (isString(st)) {
                stop.add(st.getAsString());
            } else if (st.isJsonArray() && st.getAsJsonArray().size() <= 4) {
                for (JsonElement e : st.getAsJsonArray()) {
                    if (!isString(e) || e.getAsString().isEmpty()) {
                        throw ApiError.invalid("stop", "stop: expected non-empty strings, found " + kind(e));
                    }
                    stop.add(e.getAsString());
                }
            } else {
                throw ApiError.invalid("stop", "stop: expected a string or up to 4 strings, found " + kind(st));
            }
            if (stop.stream().anyMatch(String::isEmpty)) {
                throw ApiError.invalid("stop", "stop: expected non-empty strings");
            }
        }
        GenerationConfig cfg = defaults.toBuilder().optMaxNewTokens(max == null ? defaults.maxNewTokens() : max)
                .optStopStrings(stop).optSampling(s.build()).build();
        return new CompletionRequest(model, messages, prompt, stream, includeUsage, cfg);
    }

    private static ChatMessage message(JsonElement e, String path) {
        if (!e.isJsonObject()) {
            throw ApiError.invalid(path, path + ": expected an object, found " + kind(e));
        }
        JsonObject m = e.getAsJsonObject();
        if (!m.has("role") || !isString(m.get("role"))) {
            throw ApiError.invalid(path + ".role", path + ".role: expected a string");
        }
        String role = m.get("role").getAsString();
        if (!Set.of("system", "developer", "user", "assistant", "tool").contains(role)) {
            throw ApiError.invalid(path + ".role", path + ".role: expected system, developer, user, assistant or"
                    + " tool, found '" + role + "'");
        }
        JsonElement c = m.get("content");
        String text;
        if (c == null || c.isJsonNull()) {
            text = "";
        } else if (isString(c)) {
            text = c.getAsString();
        } else if (c.isJsonArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonElement part : c.getAsJsonArray()) {
                if (!part.isJsonObject() || !part.getAsJsonObject().has("type")
                        || !"text".equals(part.getAsJsonObject().get("type").getAsString())
                        || !isString(part.getAsJsonObject().get("text"))) {
                    throw ApiError.invalid(path + ".content", path + ".content: only text parts are supported");
                }
                b.append(part.getAsJsonObject().get("text").getAsString());
            }
            text = b.toString();
        } else {
            throw ApiError.invalid(path + ".content", path + ".content: expected a string or text parts, found "
                    + kind(c));
        }
        return new ChatMessage(role.equals("developer") ? "system" : role, text);
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.getAsJsonPrimitive().isString()) {
            return "a string";
        }
        if (e.getAsJsonPrimitive().isBoolean()) {
            return "a boolean";
        }
        return e.getAsString();
    }

    private static String optString(JsonObject o, String k) {
        JsonElement e = o.get(k);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!isString(e)) {
            throw ApiError.invalid(k, k + ": expected a string, found " + kind(e));
        }
        return e.getAsString();
    }

    private static JsonArray array(JsonObject o, String k) {
        JsonElement e = o.get(k);
        if (e == null || !e.isJsonArray()) {
            throw ApiError.invalid(k, k + ": expected an array, found " + kind(e));
        }
        return e.getAsJsonArray();
    }

    /** Fields accepted only at the value that leaves the output unchanged; another value is a 400 naming the field. */
    private static void refuseUnlessNeutral(JsonObject o) {
        for (String k : new String[] {"frequency_penalty", "presence_penalty"}) {
            Double v = optNumber(o, k, -2, 2);
            if (v != null && v != 0) {
                throw ApiError.invalid(k, k + ": only 0 is supported, found " + v);
            }
        }
        if (o.has("logit_bias") && !o.get("logit_bias").isJsonNull() && !(o.get("logit_bias").isJsonObject()
                && o.getAsJsonObject("logit_bias").isEmpty())) {
            throw ApiError.invalid("logit_bias", "logit_bias: not supported (expected {} or null)");
        }
        for (String k : new String[] {"logprobs", "echo"}) {
            JsonElement e = o.get(k);
            boolean on = e != null && !e.isJsonNull() && !(e.isJsonPrimitive() && (e.getAsJsonPrimitive().isBoolean()
                    ? !e.getAsBoolean() : e.getAsJsonPrimitive().isNumber() && e.getAsDouble() == 0));
            if (on) {
                throw ApiError.invalid(k, k + ": not supported by this server (expected false or null)");
            }
        }
        Integer top = optInt(o, "top_logprobs", 0, 20);
        if (top != null && top > 0) {
            throw ApiError.invalid("top_logprobs", "top_logprobs: not supported by this server (expected 0)");
        }
        Integer best = optInt(o, "best_of", 1, 20);
        if (best != null && best > 1) {
            throw ApiError.invalid("best_of", "best_of: only 1 is supported, found " + best);
        }
        JsonElement suffix = o.get("suffix");
        if (suffix != null && !suffix.isJsonNull() && !(isString(suffix) && suffix.getAsString().isEmpty())) {
            throw ApiError.invalid("suffix", "suffix: not supported (expected \"\" or null)");
        }
        JsonElement rf = o.get("response_format");
        if (rf != null && !rf.isJsonNull() && !(rf.isJsonObject() && rf.getAsJsonObject().has("type")
                && isString(rf.getAsJsonObject().get("type"))
                && rf.getAsJsonObject().get("type").getAsString().equals("text"))) {
            throw ApiError.invalid("response_format", "response_format: only {\"type\": \"text\"} is supported");
        }
    }

    private static boolean bool(JsonObject o, String k, boolean dflt) {
        JsonElement e = o.get(k);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiError.invalid(k, k + ": expected true or false, found " + kind(e));
        }
        return e.getAsBoolean();
    }

    private static Integer optInt(JsonObject o, String k, long min, long max) {
        JsonElement e = o.get(k);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        long v = longValue(e, k);
        if (v < min || v > max) {
            throw ApiError.invalid(k, k + ": expected an integer in " + min + ".." + max + ", found " + v);
        }
        return (int) v;
    }

    private static long longValue(JsonElement e, String k) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(k, k + ": expected an integer, found " + kind(e));
        }
        try {
            return new java.math.BigDecimal(e.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException x) {
            throw ApiError.invalid(k, k + ": expected an integer, found " + e.getAsString());
        }
    }

    private static Double optNumber(JsonObject o, String k, double min, double max) {
        JsonElement e = o.get(k);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(k, k + ": expected a number, found " + kind(e));
        }
        double v = e.getAsDouble();
        if (!(v >= min && v <= max)) {
            throw ApiError.invalid(k, k + ": expected a number in [" + min + ", " + max + "], found " + v);
        }
        return v;
    }
}
