package io.specdec.server;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own error responses (malformed HTTP, a header too large, the 503 a request gets while the server stops) in
 * OpenAI's error JSON instead of Jetty's HTML page, so every error a client can see has the same shape. Stateless;
 * thread-safe.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static String json(int status, String reason) {
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        String message = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        return new ApiError(status, type, null, null, "HTTP " + status + ": " + message.lines().findFirst().orElse(""))
                .toJson().toString();
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
            HttpServletResponse response, int code, String message) throws IOException {
        baseRequest.setHandled(true);
        byte[] body = json(code, message).getBytes(StandardCharsets.UTF_8);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(json(status, reason).getBytes(StandardCharsets.UTF_8));
    }
}
