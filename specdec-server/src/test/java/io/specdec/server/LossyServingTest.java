package io.specdec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A server with the lossy opt-in ({@code serve --lossy}): a response that ran under the rule names it in
 * {@code usage.speculation.lossy}; a request outside the rule's domain (LANTERN is for sampled requests; this one is
 * greedy) runs losslessly and carries no such field.
 */
class LossyServingTest {
    private static JsonObject post(HttpClient http, String base, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("usage")
                .getAsJsonObject("speculation");
    }

    @Test
    void responsesSayWhenTheyRanUnderTheLossyRule() throws Exception {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                .optLossy("lantern:0.15").build();
                SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optPort(0).build().start()) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            JsonObject sampled = post(http, base, "{\"prompt\": \"Once upon a time\", \"max_tokens\": 16,"
                    + " \"temperature\": 0.8, \"seed\": 3}");
            assertTrue(sampled.get("lossy").getAsString().startsWith("lantern("), sampled.toString());
            JsonObject greedy = post(http, base, "{\"prompt\": \"Once upon a time\", \"max_tokens\": 16,"
                    + " \"temperature\": 0}");
            assertFalse(greedy.has("lossy"), "greedy requests are outside LANTERN: lossless, " + greedy);
        }
    }
}
