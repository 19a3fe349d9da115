package io.specdec.testing;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;

/** Tiny random Llama models built in memory (seconds), for tests that need no checkpoint. */
public final class TestModels {
    private TestModels() {}

    /** A small config: dim 32, 2 layers, 4 heads / 2 kv heads (GQA), vocab {@code vocab}, context 64. */
    public static LlamaConfig tiny(int vocab) {
        return new LlamaConfig(32, 48, 2, 4, 2, 8, vocab, 64, 1e-5f, 10000f, false, false, 1, 2);
    }

    /** Random weights (see {@link LlamaWeights#random}). */
    public static LlamaWeights random(LlamaConfig c, long seed, float scale) {
        return LlamaWeights.random(c, seed, scale);
    }
}
