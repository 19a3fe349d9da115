package io.specdec.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.AiServices;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import io.specdec.server.SpecdecServer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LangChain4j models through {@code AiServices} and streaming, and LangChain4j's own {@code OpenAiChatModel} /
 * {@code OpenAiStreamingChatModel} against {@code SpecdecServer} on the loopback: every path returns exactly the text
 * the in-process {@code Specdec.chat} gives for the same conversation, greedy and with seeded sampling (T = 0.8, seed
 * 7), with the draft model on.
 */
class LangChain4jTest {
    private static final String ASK = "Tell me a story about a cat.";
    private static Specdec lm;
    private static SpecdecServer server;
    private static String expected;
    private static final SamplingConfig SEEDED = SamplingConfig.builder().optTemperature(0.8f).optSeed(7).build();
    private static String expectedSeeded;

    interface Storyteller {
        String tell(String request);
    }

    @BeforeAll
    static void start() {
        lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                .optMaxNewTokens(48).build();
        server = SpecdecServer.builder().setSpecdec(lm).optPort(0).optModelId("chat-demo").build().start();
        expected = lm.chat(List.of(ChatMessage.user(ASK))).text();
        assertTrue(!expected.isEmpty());
        GenerationConfig cfg = lm.config().toBuilder().optSampling(SEEDED).build();
        try (var g = lm.startChat(List.of(ChatMessage.user(ASK)), cfg)) {
            expectedSeeded = g.result().text();
        }
        assertNotEquals(expected, expectedSeeded, "T = 0.8 samples a different story than greedy");
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    @Test
    void aiServicesAndStreamingOnTheSpecdecModels() throws Exception {
        SpecdecChatModel model = SpecdecChatModel.builder().setSpecdec(lm).build();
        Storyteller teller = AiServices.create(Storyteller.class, model);
        assertEquals(expected, teller.tell(ASK));
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from(ASK)).build());
        assertEquals(expected, r.aiMessage().text());
        SpecdecChatResponseMetadata meta = (SpecdecChatResponseMetadata) r.metadata();
        assertNotNull(meta.speculation(), "speculation stats in the metadata");
        assertTrue(meta.speculation().tau() >= 1 && meta.tokenUsage().outputTokenCount() > 0, meta.toString());
        assertEquals(expected, stream(SpecdecStreamingChatModel.builder().setSpecdec(lm).build()::chat));
    }

    @Test
    void langChain4jsOwnOpenAiModelsAgainstTheServer() throws Exception {
        String base = "http://127.0.0.1:" + server.port() + "/v1";
        OpenAiChatModel openai = OpenAiChatModel.builder().baseUrl(base).apiKey("not-needed").modelName("chat-demo")
                .temperature(0.0).maxTokens(48).build();
        assertEquals(expected, openai.chat(ASK));
        assertEquals(expected, AiServices.create(Storyteller.class, openai).tell(ASK));
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("not-needed")
                .modelName("chat-demo").temperature(0.0).maxTokens(48).build();
        assertEquals(expected, stream(streaming::chat));
    }

    @Test
    void seededSamplingMatchesInProcessOnEveryPath() throws Exception {
        try (Specdec seeded = Specdec.builder().setModel(DemoModels.chatTarget())
                .optDraftModel(DemoModels.chatDraft()).optMaxNewTokens(48).optSampling(SEEDED).build()) {
            SpecdecChatModel model = SpecdecChatModel.builder().setSpecdec(seeded).build();
            assertEquals(expectedSeeded, AiServices.create(Storyteller.class, model).tell(ASK));
            assertEquals(expectedSeeded, stream(SpecdecStreamingChatModel.builder().setSpecdec(seeded).build()::chat));
        }
        String base = "http://127.0.0.1:" + server.port() + "/v1";
        OpenAiChatModel openai = OpenAiChatModel.builder().baseUrl(base).apiKey("not-needed").modelName("chat-demo")
                .temperature(0.8).seed(7).maxTokens(48).build();
        assertEquals(expectedSeeded, openai.chat(ASK));
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("not-needed")
                .modelName("chat-demo").temperature(0.8).seed(7).maxTokens(48).build();
        assertEquals(expectedSeeded, stream(streaming::chat));
    }

    interface StreamingCall {
        void chat(String message, StreamingChatResponseHandler handler);
    }

    private static String stream(StreamingCall call) throws Exception {
        StringBuilder b = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        call.chat(ASK, new StreamingChatResponseHandler() {
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
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(b.toString(), r.aiMessage().text(), "the partials add up to the final text");
        return b.toString();
    }
}
