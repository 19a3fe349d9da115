package io.specdec.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.specdec.Specdec;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.Generation;
import java.util.Objects;

/**
 * A LangChain4j {@link StreamingChatModel} (1.x) on a {@link Specdec}: as {@link SpecdecChatModel}, with each piece of
 * text handed to {@code onPartialResponse} as the decoder produces it (a speculative round may deliver several tokens
 * at once), then {@code onCompleteResponse} with usage and speculation statistics; any failure goes to
 * {@code onError} and nothing is thrown. Runs on the calling thread. Does not own the Specdec.
 */
public final class SpecdecStreamingChatModel implements StreamingChatModel {
    private final Specdec specdec;

    private SpecdecStreamingChatModel(Specdec specdec) {
        this.specdec = Objects.requireNonNull(specdec, "the Specdec is required (setSpecdec)");
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        try {
            SpecdecChatModels.check(request);
            try (Generation g = specdec.startChat(SpecdecChatModels.messages(request.messages()),
                    SpecdecChatModels.config(specdec.config(), request.parameters()))) {
                while (g.hasNext()) {
                    GeneratedToken t = g.next();
                    if (!t.text().isEmpty()) {
                        handler.onPartialResponse(t.text());
                    }
                }
                handler.onCompleteResponse(SpecdecChatModels.response(g.result(),
                        SpecdecChatModels.modelName(specdec)));
            }
        } catch (RuntimeException e) {
            handler.onError(e);
        }
    }

    /** Builder: {@code set*} required. */
    public static final class Builder {
        private Specdec specdec;

        public Builder setSpecdec(Specdec s) {
            this.specdec = s;
            return this;
        }

        public SpecdecStreamingChatModel build() {
            return new SpecdecStreamingChatModel(specdec);
        }
    }
}
