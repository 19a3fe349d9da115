package io.specdec.model;

/**
 * How the rows of the q/k projections pair up for RoPE in a checkpoint. The runtime uses {@link #HALF_SPLIT}
 * internally; loaders convert {@link #INTERLEAVED} checkpoints once at load ({@link LlamaWeights#toHalfSplit}).
 */
public enum RopeLayout {
    /** Pairs (2i, 2i+1) within each head: GGUF {@code llama} ("norm" rope) and llama2.c. */
    INTERLEAVED,
    /** Pairs (i, i + headDim/2) within each head: Hugging Face {@code rotate_half}, GGUF "neox" rope (Qwen2). */
    HALF_SPLIT
}
