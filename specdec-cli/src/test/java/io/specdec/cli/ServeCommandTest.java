package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code specdec serve} as its own process (the demo chat model with its draft model, the command's defaults) with
 * two clients nobody here wrote, the official OpenAI Java SDK and LangChain4j's {@code OpenAiStreamingChatModel}: a
 * streamed chat completion equals the in-process {@code Specdec.chat} text for the same request, greedy and seeded
 * (T = 0.8, seed 7). Then SIGTERM with a stream in flight: the stream ends (complete or cut), the process exits.
 */
class ServeCommandTest {
    private static final String ASK = "Tell me a story about a cat.";
    private static final Pattern LISTENING = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/v1");
    private static Process serve;
    private static final LinkedBlockingQueue<String> LOG = new LinkedBlockingQueue<>();
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "serve", "--port", "0", "--model-id",
                "chat-demo", "--max-tokens", "48", "--parallel", "2");
        pb.redirectErrorStream(true);
        serve = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(serve.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    LOG.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
            LOG.add("<EOF>");
        }, "serve-log");
        reader.setDaemon(true);
        reader.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        StringBuilder seen = new StringBuilder();
        while (base == null) {
            String l = LOG.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertTrue(l != null && !l.equals("<EOF>"), "specdec serve did not start:\n" + seen);
            seen.append(l).append('\n');
            Matcher m = LISTENING.matcher(l);
            if (m.find()) {
                base = "http://127.0.0.1:" + m.group(1) + "/v1";
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (serve != null && serve.isAlive()) {
            serve.destroyForcibly();
        }
    }

    private static String inProcess(float temperature) {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                .optMaxNewTokens(48).build()) {
            GenerationConfig cfg = lm.config().toBuilder().optSampling(SamplingConfig.builder()
                    .optTemperature(temperature).optSeed(7).build()).build();
            try (var g = lm.startChat(List.of(ChatMessage.user(ASK)), cfg)) {
                return g.result().text();
            }
        }
    }

    private static String langChain4jStream(double temperature) throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("not-needed")
                .modelName("chat-demo").temperature(temperature).seed(7).maxTokens(48).build();
        StringBuilder b = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(ASK, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                b.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse whole = done.get(60, TimeUnit.SECONDS);
        assertEquals(b.toString(), whole.aiMessage().text(), "the partials add up to the final text");
        return b.toString();
    }

    @Test
    void realClientsStreamTheInProcessTextThenSigtermEndsCleanly() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(base).apiKey("not-needed").build();
        String greedy = inProcess(0f);
        String seeded = inProcess(0.8f);
        assertNotEquals(greedy, seeded, "T = 0.8 samples another story");
        for (double t : new double[] {0.0, 0.8}) {
            String expected = t == 0 ? greedy : seeded;
            ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("chat-demo")
                    .addUserMessage(ASK).temperature(t).seed(7L).maxCompletionTokens(48L).build();
            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
                s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(streamed::append)));
            }
            assertEquals(expected, streamed.toString(), "OpenAI SDK, streamed, T = " + t);
            assertEquals(expected, langChain4jStream(t), "LangChain4j OpenAiStreamingChatModel, T = " + t);
        }
        // SIGTERM with a long stream in flight: the stream ends (whole or cut short), the process exits
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \""
                        + ASK + "\"}], \"max_tokens\": 300, \"stream\": true}"))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        CompletableFuture<String> rest = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = r.body()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "cut: " + e;
            }
        });
        serve.destroy(); // SIGTERM: the shutdown hook closes the server and the model
        String tail = rest.get(30, TimeUnit.SECONDS);
        assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "specdec serve exits within 30 s of SIGTERM");
        assertFalse(LOG.stream().anyMatch(l -> l.contains("SIGSEGV") || l.contains("hs_err")), String.join("\n", LOG));
        assertTrue(tail.contains("data: [DONE]") || tail.startsWith("cut: ") || tail.contains("data: "), tail);
    }
}
