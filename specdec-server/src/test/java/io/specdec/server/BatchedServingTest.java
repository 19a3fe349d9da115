package io.specdec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import io.specdec.model.BatchedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The server schedules through continuous batching ({@code Specdec.optBatching}, what {@code serve --batching}
 * builds): eight concurrent greedy chat completions with the draft model on each return exactly the in-process
 * {@code Specdec.chat} text, and their target forwards ran in shared rounds.
 */
class BatchedServingTest {
    private static final String[] ASKS = {"Hello", "Tell me a story.", "Tell me a story about a cat.",
        "Tell me a story about a dog.", "Tell me a story about Tom.", "Can you tell me a story?", "Hi there",
        "I want to hear a story."};

    @Test
    void concurrentRequestsShareRoundsAndKeepTheirText() throws Exception {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                .optController("static").optControllerOption("k", "4") // the budget is BatchingTest's
                .optMaxNewTokens(40).optBatching(true).build();
                SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optPort(0).optParallel(8).build()
                        .start()) {
            List<String> expected = new ArrayList<>();
            for (String a : ASKS) {
                expected.add(lm.chat(List.of(ChatMessage.user(a))).text());
            }
            BatchedModel bm = lm.batching().orElseThrow();
            long[] before = bm.roundStats();
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
            for (String a : ASKS) {
                fs.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/chat/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \""
                                + a + "\"}], \"temperature\": 0}")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < ASKS.length; i++) {
                HttpResponse<String> r = fs.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                String text = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                        .getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
                assertEquals(expected.get(i), text, ASKS[i]);
            }
            long[] after = bm.roundStats();
            double perRound = (after[2] - before[2]) / (double) (after[0] - before[0]);
            assertTrue(perRound > 1.5, "requests shared rounds: " + perRound + " sequences per round");
        }
    }
}
