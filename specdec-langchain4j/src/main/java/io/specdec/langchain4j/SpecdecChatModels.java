package io.specdec.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.sampling.SamplingConfig;
import java.util.ArrayList;
import java.util.List;

/** What both LangChain4j models share: messages, parameters and responses in LangChain4j's types. Stateless. */
final class SpecdecChatModels {
    private SpecdecChatModels() {}

    static List<ChatMessage> messages(List<dev.langchain4j.data.message.ChatMessage> in) {
        List<ChatMessage> out = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : in) {
            if (m instanceof SystemMessage s) {
                out.add(ChatMessage.system(s.text()));
            } else if (m instanceof UserMessage u) {
                if (!u.hasSingleText()) {
                    throw new IllegalArgumentException("user message: only text is supported, found "
                            + u.contents().size() + " parts or non-text content");
                }
                out.add(ChatMessage.user(u.singleText()));
            } else if (m instanceof AiMessage a) {
                if (a.hasToolExecutionRequests()) {
                    throw new IllegalArgumentException("AI message: tool calls are not supported");
                }
                out.add(ChatMessage.assistant(a.text() == null ? "" : a.text()));
            } else if (m instanceof ToolExecutionResultMessage t) {
                out.add(new ChatMessage("tool", t.text()));
            } else {
                throw new IllegalArgumentException("message type " + m.type() + " is not supported");
            }
        }
        return out;
    }

    /** The request's parameters over the model's defaults; unsupported ones are one-line errors. */
    static GenerationConfig config(GenerationConfig defaults, ChatRequestParameters p) {
        if (p == null) {
            return defaults;
        }
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new IllegalArgumentException("tool specifications are not supported");
        }
        SamplingConfig.Builder s = defaults.sampling().toBuilder();
        if (p.temperature() != null) {
            double t = p.temperature();
            s.optTemperature(t < SamplingConfig.MIN_TEMPERATURE ? 0f : (float) t);
        }
        if (p.topP() != null) {
            s.optTopP(p.topP().floatValue());
        }
        if (p.topK() != null) {
            s.optTopK(p.topK());
        }
        GenerationConfig.Builder b = defaults.toBuilder().optSampling(s.build());
        if (p.maxOutputTokens() != null) {
            b.optMaxNewTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            List<String> stops = new ArrayList<>(defaults.stopStrings());
            stops.addAll(p.stopSequences());
            b.optStopStrings(stops);
        }
        return b.build();
    }

    static ChatResponse response(GenerationResult r, String modelName) {
        FinishReason f = switch (r.finishReason()) {
            case EOS, STOP_STRING -> FinishReason.STOP;
            default -> FinishReason.LENGTH;
        };
        return ChatResponse.builder().aiMessage(AiMessage.from(r.text()))
                .metadata(SpecdecChatResponseMetadata.builder().speculation(r.speculation()).modelName(modelName)
                        .tokenUsage(new TokenUsage(r.stats().promptTokens(), r.stats().generatedTokens()))
                        .finishReason(f).build())
                .build();
    }

    static String modelName(Specdec s) {
        return String.valueOf(s.checkpoint().path().getFileName());
    }

    static ChatRequest check(ChatRequest request) {
        if (request.messages().isEmpty()) {
            throw new IllegalArgumentException("chat request: expected at least one message, found none");
        }
        return request;
    }
}
