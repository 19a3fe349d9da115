package io.specdec.model;

/**
 * A Llama model's float32 weights handed out one part at a time, so a writer or converter holds one layer in memory
 * rather than the whole model: {@link LlamaWeights} (everything in memory already) and an {@link Inflation.Twin}
 * (each layer computed on request). Shapes as in {@link LlamaWeights}.
 */
public interface StreamedWeights {
    /** The hyper-parameters the shapes follow. */
    LlamaConfig config();

    /** RoPE pairing of the q/k rows. */
    RopeLayout layout();

    /** {@code [vocab, dim]}. */
    float[] embedding();

    /** Decoder layer {@code i}. */
    LlamaWeights.Layer layer(int i);

    /** {@code [dim]}. */
    float[] finalNorm();

    /** The LM head {@code [vocab, dim]}, or null when tied to the embedding. */
    float[] output();
}
