package io.specdec.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced its end-of-sequence token (not included in the output). */
    EOS,
    /** {@code maxNewTokens} tokens were generated. */
    LENGTH,
    /** A stop string appeared (the text is cut before it). */
    STOP_STRING,
    /** The model's context (KV cache) is full. */
    CONTEXT_FULL,
    /** The caller cancelled. */
    CANCELLED
}
