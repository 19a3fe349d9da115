package io.specdec.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import io.specdec.generate.SpeculationStats;
import java.util.Objects;

/**
 * LangChain4j response metadata with the speculation statistics of the reply ({@link #speculation()}: rounds, τ,
 * acceptance, drafted and accepted tokens, time split; null without a drafter). Immutable.
 */
public final class SpecdecChatResponseMetadata extends ChatResponseMetadata {
    private final SpeculationStats speculation;

    private SpecdecChatResponseMetadata(Builder b) {
        super(b);
        this.speculation = b.speculation;
    }

    /** The reply's speculation statistics, or null for plain decoding. */
    public SpeculationStats speculation() {
        return speculation;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecdecChatResponseMetadata m && super.equals(o)
                && Objects.equals(speculation, m.speculation);
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + Objects.hashCode(speculation);
    }

    @Override
    public String toString() {
        return super.toString() + " speculation=" + speculation;
    }

    /** Builder. */
    public static final class Builder extends ChatResponseMetadata.Builder<Builder> {
        private SpeculationStats speculation;

        public Builder speculation(SpeculationStats s) {
            this.speculation = s;
            return this;
        }

        @Override
        public SpecdecChatResponseMetadata build() {
            return new SpecdecChatResponseMetadata(this);
        }
    }
}
