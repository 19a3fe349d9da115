package io.specdec.sampling;

/**
 * How the next token is chosen. Defaults follow Hugging Face {@code generate}: processors applied in the order
 * repetition penalty → temperature → top-k → top-p → min-p.
 *
 * @param temperature 0 = greedy (argmax; default), else logits are divided by it
 * @param topK keep the K most likely tokens; 0 = disabled (default)
 * @param topP keep the smallest set with cumulative probability ≥ P; 1 = disabled (default)
 * @param minP drop tokens with probability < minP · max probability; 0 = disabled (default)
 * @param repetitionPenalty CTRL-style penalty for tokens already seen (logit / θ if positive, · θ if negative);
 *     1 = disabled (default)
 * @param seed RNG seed for reproducible sampling (default 42)
 */
public record SamplingConfig(float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed) {
    /** Smallest non-zero temperature (below it {@code logits / T} overflows a float). */
    public static final float MIN_TEMPERATURE = 1e-3f;

    /** Greedy decoding. */
    public static final SamplingConfig GREEDY = new SamplingConfig(0f, 0, 1f, 0f, 1f, 42L);

    public SamplingConfig {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 and finite, found " + temperature);
        }
        if (temperature > 0 && temperature < MIN_TEMPERATURE) {
            // logits / T overflows float: the softmax would be NaN; use 0 (greedy) for argmax
            throw new IllegalArgumentException("temperature must be 0 (greedy) or >= " + MIN_TEMPERATURE + ", found "
                    + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, found " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], found " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1), found " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be > 0 and finite, found "
                    + repetitionPenalty);
        }
    }

    /** True when decoding is argmax (temperature 0). */
    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** A builder starting from {@link #GREEDY}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder with DJL-style {@code opt*} setters (every field is optional). */
    /** A builder starting from this config's values. */
    public Builder toBuilder() {
        return builder().optTemperature(temperature).optTopK(topK).optTopP(topP).optMinP(minP)
                .optRepetitionPenalty(repetitionPenalty).optSeed(seed);
    }

    public static final class Builder {
        private float temperature;
        private int topK;
        private float topP = 1f;
        private float minP;
        private float repetitionPenalty = 1f;
        private long seed = 42L;

        public Builder optTemperature(float t) {
            this.temperature = t;
            return this;
        }

        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        public Builder optTopP(float p) {
            this.topP = p;
            return this;
        }

        public Builder optMinP(float p) {
            this.minP = p;
            return this;
        }

        public Builder optRepetitionPenalty(float r) {
            this.repetitionPenalty = r;
            return this;
        }

        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        public SamplingConfig build() {
            return new SamplingConfig(temperature, topK, topP, minP, repetitionPenalty, seed);
        }
    }
}
