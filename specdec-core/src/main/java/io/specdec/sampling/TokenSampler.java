package io.specdec.sampling;

import java.util.SplittableRandom;

/**
 * Turns raw logits into the request's distribution (through the shared {@link LogitsProcessor} chain) and draws
 * from it. Greedy configs yield a point mass at the argmax of the processed logits. One per request: holds the
 * seeded RNG, so it is not thread-safe.
 */
public final class TokenSampler {
    private final SamplingConfig config;
    private final LogitsProcessor processor;
    private final SplittableRandom rng;

    public TokenSampler(SamplingConfig config) {
        this.config = config;
        this.processor = LogitsProcessors.of(config);
        this.rng = new SplittableRandom(config.seed());
    }

    public SamplingConfig config() {
        return config;
    }

    /** The RNG (acceptance tests draw their uniforms from the same seeded stream). */
    public SplittableRandom rng() {
        return rng;
    }

    /**
     * The distribution the next token is drawn from: processed softmax, or a one-hot vector when greedy.
     * {@code logits} is not modified.
     */
    public float[] distribution(float[] logits, int[] history, int historyLength) {
        return distribution(logits, history, historyLength, processor, config.isGreedy());
    }

    /**
     * The one way a row of logits becomes a distribution, for targets and drafts alike: copy, apply the processor
     * chain, then softmax — or a one-hot vector at the argmax when {@code greedy}.
     */
    public static float[] distribution(float[] logits, int[] history, int historyLength, LogitsProcessor processor,
            boolean greedy) {
        float[] l = logits.clone();
        processor.process(l, history, historyLength);
        if (greedy) {
            float[] p = new float[l.length];
            p[Distributions.argmax(l)] = 1f;
            return p;
        }
        return Distributions.softmax(l);
    }

    /** Samples the next token from raw logits. */
    public int next(float[] logits, int[] history, int historyLength) {
        if (config.isGreedy() && config.repetitionPenalty() == 1f) {
            return Distributions.argmax(logits);
        }
        return sample(distribution(logits, history, historyLength));
    }

    /** Draws from a probability vector with this request's RNG. */
    public int sample(float[] probs) {
        return Distributions.sample(probs, rng);
    }
}
