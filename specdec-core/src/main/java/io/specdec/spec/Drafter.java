package io.specdec.spec;

/**
 * Proposes candidate tokens for the target to verify. Implementations: a small draft model, Medusa/Hydra heads,
 * Token Recycling, early exit, prompt lookup. A drafter keeps per-request state (e.g. its own KV cache) between
 * {@link #begin} and {@link #close}; one instance serves one request at a time (a {@link DrafterFactory} makes one
 * per request). It never touches the target's cache.
 */
public interface Drafter extends AutoCloseable {
    /** Starts a request whose prompt is {@code prompt} (BOS included). */
    void begin(int[] prompt);

    /** Proposes a tree (chain = width 1) of at most {@code ctx.budget()} nodes; may be empty. */
    DraftTree propose(DraftContext ctx);

    /** Learns from the round just verified (accepted path, target logits at every node). */
    default void observe(RoundResult result) {}

    /** Target layers (1-based) whose hidden states this drafter wants from verification (default none). */
    default int[] verifyHiddenLayers() {
        return new int[0];
    }

    /** Vocabulary size of the drafter (checked against the target's). */
    int vocabSize();

    @Override
    default void close() {}
}
