package io.specdec.speculation;

import io.specdec.tokenizer.Tokenizer;

/**
 * Proposes candidate tokens for the target to verify (the drafter SPI). Implementations: a small draft model,
 * Medusa/Hydra heads, Token Recycling, early exit, prompt lookup. A drafter keeps per-request state (e.g. its own KV
 * cache) between {@link #begin} and {@link #close}; one instance serves one request at a time (a
 * {@link DrafterFactory} makes one per request). It never touches the target's cache.
 *
 * <p>What it can reach: at {@link #begin} the prompt, the target's outputs for it and the target's read-only parts
 * ({@link PromptContext}); at {@link #propose} the sequence, the request's sampling and RNG and the budget
 * ({@link DraftContext}); at {@link #observe} the verified round's layout, the accepted path and the target's outputs
 * for every verified row ({@link RoundResult}). {@link #targetOutputs()} says which outputs it wants. Families
 * register with {@link DrafterProvider} so the CLI, {@code bench} and the suite find them.
 */
public interface Drafter extends AutoCloseable {
    /** Starts a request. */
    void begin(PromptContext prompt);

    /** Proposes a tree (chain = width 1) of at most {@code ctx.budget()} nodes; may be empty. */
    DraftTree propose(DraftContext ctx);

    /** Learns from the round just verified (accepted path, target outputs at every row). */
    default void observe(RoundResult result) {}

    /** What this drafter needs from the target's forwards besides logits (default: logits only). */
    default OutputRequest targetOutputs() {
        return OutputRequest.LOGITS;
    }

    /**
     * Whether the decoder may run this drafter ahead (LLMCad's pipeline, {@code SpeculativeDecoder.Builder
     * #optPipeline}): while the target verifies a chain, call {@link #propose} on another thread for the sequence that
     * chain would give if fully accepted, and later call {@link #propose} again for the sequence that really came. A
     * drafter that says true keeps no state between rounds except what it re-derives from {@link DraftContext#tokens()}
     * (e.g. a cache synchronised by longest common prefix), needs nothing from {@link #observe} and is not touched by
     * the decoder while the lookahead runs. Default false.
     */
    default boolean supportsLookahead() {
        return false;
    }

    /** Vocabulary size of the drafter (checked against the target's). */
    int vocabSize();

    /**
     * The drafter's own token table when it has one (a separate draft model); null when it proposes the target's
     * own token ids (heads, lookup, recycling, early exit). The decoder compares every entry with the target's.
     */
    default Tokenizer tokenizer() {
        return null;
    }

    @Override
    default void close() {}
}
