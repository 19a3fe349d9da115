package io.specdec.server;

import com.google.gson.JsonObject;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, with its HTTP status.
 * The message is one line, like the CLI's.
 */
class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error naming the request field. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    JsonObject toJson() {
        JsonObject e = new JsonObject();
        e.addProperty("message", getMessage());
        e.addProperty("type", type);
        if (param == null) {
            e.add("param", com.google.gson.JsonNull.INSTANCE);
        } else {
            e.addProperty("param", param);
        }
        if (code == null) {
            e.add("code", com.google.gson.JsonNull.INSTANCE);
        } else {
            e.addProperty("code", code);
        }
        JsonObject o = new JsonObject();
        o.add("error", e);
        return o;
    }
}
