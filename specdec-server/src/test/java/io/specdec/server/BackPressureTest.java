package io.specdec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure and disconnects: with every slot taken and no queue, a request gets 429 with {@code Retry-After};
 * a streaming client that hangs up has its generation cancelled (counted in the metrics) and its slot freed.
 */
class BackPressureTest {
    private static final String STORY = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 240, \"stream\": true}";

    @Test
    void fullServerSays429AndAHungUpStreamFreesItsSlot() throws Exception {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).build();
                SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optPort(0).optParallel(1).optQueue(0)
                        .build().start()) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest story = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(STORY))
                    .build();
            server.permits.acquire(); // the one slot is busy
            HttpResponse<String> busy = http.send(story, HttpResponse.BodyHandlers.ofString());
            assertEquals(429, busy.statusCode(), busy.body());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            assertTrue(busy.body().contains("\"code\":\"rate_limit_exceeded\""), busy.body());
            server.permits.release();

            HttpResponse<InputStream> streaming = http.send(story, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, streaming.statusCode());
            BufferedReader r = new BufferedReader(new InputStreamReader(streaming.body(), StandardCharsets.UTF_8));
            assertTrue(r.readLine().startsWith("data: {"));
            streaming.body().close(); // hang up mid-stream
            long deadline = System.currentTimeMillis() + 10_000;
            double disconnects = 0;
            while (System.currentTimeMillis() < deadline && (disconnects == 0 || server.permits.availablePermits() == 0)) {
                Thread.sleep(20);
                disconnects = server.metrics().get("specdec_client_disconnects").counter().count();
            }
            assertEquals(1.0, disconnects, "the hang-up was noticed and the generation cancelled");
            assertEquals(1, server.permits.availablePermits(), "its slot is free again");
            HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once\", \"max_tokens\": 4}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, after.statusCode(), after.body());
            assertEquals(0.0, server.metrics().get("specdec_kv_cache_bytes").gauge().value(),
                    "every KV cache was freed");
        }
    }
}
