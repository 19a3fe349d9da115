package io.specdec.model;

/**
 * Host copies of what one forward produced.
 *
 * @param rows number of logit rows ({@code T}, or 1 when only the last row was asked for)
 * @param vocab row width
 * @param logits {@code [rows, vocab]} row-major, raw (before any logits processor)
 * @param lastHidden {@code [T, dim]} final-norm output, or null
 * @param layerHidden per requested layer, {@code [T, dim]}, in the order asked, or empty
 */
public record ForwardResult(int rows, int vocab, float[] logits, float[] lastHidden, float[][] layerHidden) {
    /** A copy of logit row {@code r}. */
    public float[] row(int r) {
        float[] out = new float[vocab];
        System.arraycopy(logits, r * vocab, out, 0, vocab);
        return out;
    }

    /** Index of the largest logit in row {@code r} (first on ties). */
    public int argmax(int r) {
        return io.specdec.sampling.Distributions.argmax(logits, r * vocab, vocab);
    }
}
