package io.specdec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile and malformed requests: every body gets a 4xx with OpenAI's error JSON (message on one line, type, param,
 * code); malformed HTTP sent over a plain socket (a bad request line, a negative length, a 64 KiB header, an unknown
 * version or transfer coding) gets Jetty's 4xx/505 in the same JSON shape; and the server keeps serving — a normal
 * request afterwards succeeds.
 */
class HostileRequestsTest {
    private static final String OK_MSG = "[{\"role\": \"user\", \"content\": \"hi\"}]";

    static List<byte[]> bodies() {
        List<String> s = new ArrayList<>();
        s.add("");
        s.add("{");
        s.add("}");
        s.add("null");
        s.add("[]");
        s.add("42");
        s.add("\"text\"");
        s.add("{\"messages\": null}");
        s.add("{\"messages\": {}}");
        s.add("{\"messages\": \"hi\"}");
        s.add("{\"messages\": []}");
        s.add("{\"messages\": [null]}");
        s.add("{\"messages\": [42]}");
        s.add("{\"messages\": [{}]}");
        s.add("{\"messages\": [{\"role\": 1, \"content\": \"hi\"}]}");
        s.add("{\"messages\": [{\"role\": \"root\", \"content\": \"hi\"}]}");
        s.add("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}");
        s.add("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}");
        s.add("{\"messages\": [{\"role\": \"user\", \"content\": [5]}]}");
        s.add("{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}");
        for (String field : new String[] {"max_tokens", "max_completion_tokens", "seed", "n"}) {
            for (String v : new String[] {"-1", "0.5", "\"ten\"", "1e40", "99999999999999999999", "true", "[]"}) {
                if (field.equals("seed") && v.equals("-1")) {
                    continue; // any 64-bit integer is a valid seed
                }
                s.add("{\"messages\": " + OK_MSG + ", \"" + field + "\": " + v + "}");
            }
        }
        for (String v : new String[] {"-0.1", "2.5", "\"hot\"", "NaN", "[0.5]"}) {
            s.add("{\"messages\": " + OK_MSG + ", \"temperature\": " + v + "}");
        }
        for (String v : new String[] {"0", "1.5", "\"all\""}) {
            s.add("{\"messages\": " + OK_MSG + ", \"top_p\": " + v + "}");
        }
        for (String v : new String[] {"5", "[5]", "[\"\"]", "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "{}"}) {
            s.add("{\"messages\": " + OK_MSG + ", \"stop\": " + v + "}");
        }
        s.add("{\"messages\": " + OK_MSG + ", \"stream\": \"yes\"}");
        s.add("{\"messages\": " + OK_MSG + ", \"stream_options\": 5}");
        s.add("{\"messages\": " + OK_MSG + ", \"model\": 5}");
        s.add("{\"messages\": " + OK_MSG + ", \"model\": \"gpt-4o\"}");
        s.add("{\"messages\": " + OK_MSG + ", \"tools\": [{\"type\": \"function\"}]}");
        s.add("{\"messages\": " + OK_MSG + ", \"surprise\": 1}");
        s.add("{\"messages\": " + OK_MSG + ", \"n\": 2}");
        for (String f : new String[] {"\"frequency_penalty\": 0.5", "\"presence_penalty\": -1",
            "\"logit_bias\": {\"5\": 100}",
            "\"logprobs\": true", "\"top_logprobs\": 3", "\"echo\": true", "\"best_of\": 3", "\"suffix\": \"end\"",
            "\"response_format\": {\"type\": \"json_object\"}", "\"frequency_penalty\": \"high\""}) {
            s.add("{\"messages\": " + OK_MSG + ", " + f + "}"); // would change the output: refused, not ignored
        }
        s.add("{\"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(4000) + "\"}]}");
        s.add("[".repeat(100_000));
        s.add("{\"a\":".repeat(50_000));
        List<byte[]> out = new ArrayList<>();
        for (String x : s) {
            out.add(x.getBytes(StandardCharsets.UTF_8));
        }
        out.add(new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'});
        out.add(new byte[] {(byte) 0xC3, (byte) 0x28});
        out.add(("{\"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(5 << 20) + "\"}]}")
                .getBytes(StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void everyHostileBodyGetsA4xxOpenAiErrorAndTheServerKeepsServing() throws Exception {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optMaxNewTokens(8).build();
                SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optPort(0).build().start()) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            List<byte[]> bodies = bodies();
            assertTrue(bodies.size() >= 50, bodies.size() + " bodies");
            int n = 0;
            for (byte[] body : bodies) {
                for (String path : new String[] {"/v1/chat/completions", "/v1/completions"}) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    String shown = new String(body, 0, Math.min(body.length, 80), StandardCharsets.UTF_8);
                    assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, path + " " + shown + " -> "
                            + r.statusCode() + " " + r.body());
                    JsonObject err = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
                    assertTrue(err.has("message") && err.has("type") && err.has("param") && err.has("code"),
                            r.body());
                    assertTrue(!err.get("message").getAsString().contains("\n"), r.body());
                    n++;
                }
            }
            // malformed HTTP itself, over a plain socket: Jetty answers, in OpenAI's error JSON too
            String[] raw = {"GARBAGE\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 << 10) + "\r\n\r\n",
                "POST /v1/chat/completions HTTP/9.9\r\nHost: x\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n"};
            for (String req : raw) {
                try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
                    sock.setSoTimeout(10_000);
                    sock.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
                    sock.getOutputStream().flush();
                    String got = new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    String line = got.lines().findFirst().orElse("");
                    String shown = req.substring(0, Math.min(20, req.length()));
                    assertTrue(line.matches("HTTP/1\\.1 (4\\d\\d|505) .*"), shown + " -> " + line);
                    String body = got.substring(got.indexOf("\r\n\r\n") + 4);
                    JsonObject err = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("error");
                    assertTrue(err.has("message") && err.has("type"), got);
                    n++;
                }
            }
            HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/chat/completions")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(wrongMethod.statusCode() == 404 || wrongMethod.statusCode() == 405, wrongMethod.body());
            HttpResponse<String> fine = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": " + OK_MSG + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, fine.statusCode(), fine.body());
            System.out.println("[hostile] " + n + " hostile requests (" + bodies.size() + " bodies x 2 endpoints, "
                    + raw.length + " malformed HTTP): every one an OpenAI error JSON; the server still serves");
        }
    }
}
