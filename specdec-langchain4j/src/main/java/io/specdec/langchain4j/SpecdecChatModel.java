package io.specdec.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.specdec.Specdec;
import io.specdec.generate.Generation;
import java.util.Objects;

/**
 * A LangChain4j {@link ChatModel} (1.x) on a {@link Specdec}: the request's messages through the model's chat
 * template, its temperature, top-p, top-k, max output tokens and stop sequences over the Specdec's defaults, and the
 * reply decoded speculatively with whatever drafter and controller the Specdec was built with — the text is the
 * model's own. Token usage and the speculation statistics are in the response metadata
 * ({@link SpecdecChatResponseMetadata}). Works with {@code AiServices}. Thread-safe as the Specdec is; does not own
 * it.
 *
 * <pre>{@code
 * Specdec lm = Specdec.builder().setModel(model).optDraftModel(draft).build();
 * ChatModel chat = SpecdecChatModel.builder().setSpecdec(lm).build();
 * String answer = chat.chat("Tell me a story.");
 * }</pre>
 */
public final class SpecdecChatModel implements ChatModel {
    private final Specdec specdec;

    private SpecdecChatModel(Specdec specdec) {
        this.specdec = Objects.requireNonNull(specdec, "the Specdec is required (setSpecdec)");
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        SpecdecChatModels.check(request);
        try (Generation g = specdec.startChat(SpecdecChatModels.messages(request.messages()),
                SpecdecChatModels.config(specdec.config(), request.parameters()))) {
            return SpecdecChatModels.response(g.result(), SpecdecChatModels.modelName(specdec));
        }
    }

    /** Builder: {@code set*} required. */
    public static final class Builder {
        private Specdec specdec;

        /** The model (built with its drafter, controller and default sampling). */
        public Builder setSpecdec(Specdec s) {
            this.specdec = s;
            return this;
        }

        public SpecdecChatModel build() {
            return new SpecdecChatModel(specdec);
        }
    }
}
