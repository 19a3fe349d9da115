package io.specdec.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server against a client nobody here wrote — the official OpenAI Java SDK — on the loopback, with the chat demo
 * and its draft: a chat completion, streamed and not, greedy and seeded sampling, gives exactly the in-process
 * {@code Specdec.chat} text of the same request; errors arrive as OpenAI's error JSON.
 */
class OpenAiClientTest {
    private static Specdec lm;
    private static SpecdecServer server;
    private static OpenAIClient client;
    private static String base;

    @BeforeAll
    static void start() {
        lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft()).build();
        server = SpecdecServer.builder().setSpecdec(lm).optPort(0).optModelId("chat-demo").optParallel(2).build()
                .start();
        base = "http://127.0.0.1:" + server.port();
        client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("not-needed").build();
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    private static String inProcess(String user, float temperature, long seed, int max) {
        GenerationConfig cfg = lm.config().toBuilder().optMaxNewTokens(max).optSampling(SamplingConfig.builder()
                .optTemperature(temperature).optSeed(seed).build()).build();
        try (var g = lm.startChat(List.of(ChatMessage.user(user)), cfg)) {
            return g.result().text();
        }
    }

    @Test
    void chatCompletionsMatchTheInProcessChatStreamedOrNot() {
        for (double temperature : new double[] {0.0, 0.8}) {
            ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("chat-demo")
                    .addUserMessage("Tell me a story about a cat.").temperature(temperature).seed(7L)
                    .maxCompletionTokens(48L).build();
            String expected = inProcess("Tell me a story about a cat.", (float) temperature, 7, 48);
            ChatCompletion c = client.chat().completions().create(p);
            assertEquals(expected, c.choices().get(0).message().content().orElse(""), "T = " + temperature);
            assertTrue(c.usage().isPresent() && c.usage().get().completionTokens() > 0);
            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
                s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(streamed::append)));
            }
            assertEquals(expected, streamed.toString(), "streamed, T = " + temperature);
        }
    }

    @Test
    void healthModelsMetricsAndErrorsInOpenAiShape() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("chat-demo", client.models().list().data().get(0).id());
        String[][] bad = {
            {"{not json", "400", null},
            {"{\"messages\": []}", "400", "messages"},
            {"{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "404", "model"},
            {"{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "400", "messages[0].role"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 100000}", "400", "max_tokens"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "400",
                "temperature"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 3}", "400", "n"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(3000) + "\"}]}", "400",
                "messages"},
        };
        for (String[] b : bad) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(b[0]))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(Integer.parseInt(b[1]), r.statusCode(), b[0] + " -> " + r.body());
            JsonObject err = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
            assertTrue(err.has("message") && err.has("type") && err.has("param") && err.has("code"), r.body());
            assertTrue(!err.get("message").getAsString().contains("\n"), r.body());
            if (b[2] != null) {
                assertEquals(b[2], err.get("param").getAsString(), r.body());
            }
        }
        HttpResponse<String> utf = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', (byte) 0xC3, '}'})).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, utf.statusCode());
        assertTrue(utf.body().contains("not valid UTF-8"), utf.body());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("specdec_time_to_first_token_seconds_bucket")
                && metrics.body().contains("specdec_requests_total"), metrics.body());
    }
}
