package io.specdec.generate;

import io.specdec.sampling.SamplingConfig;
import java.util.List;

/**
 * Per-request generation limits and sampling.
 *
 * @param maxNewTokens stop after this many generated tokens (default 256)
 * @param stopStrings stop when the generated text contains any of these (the text is cut before it); default none
 * @param stopAtEos stop at the tokenizer's end-of-generation ids: EOS and end-of-turn tokens such as {@code <|eot_id|>}
 *     ({@link io.specdec.tokenizer.Tokenizer#endOfGenerationIds()}; default true)
 * @param addBos prepend BOS to the prompt (default true)
 * @param sampling token selection (default greedy)
 * @param logprobs how many top log-probabilities to report per generated token (0, the default: none; at most 20)
 */
public record GenerationConfig(
        int maxNewTokens, List<String> stopStrings, boolean stopAtEos, boolean addBos, SamplingConfig sampling,
        int logprobs) {

    /** A config without log-probabilities. */
    public GenerationConfig(int maxNewTokens, List<String> stopStrings, boolean stopAtEos, boolean addBos,
            SamplingConfig sampling) {
        this(maxNewTokens, stopStrings, stopAtEos, addBos, sampling, 0);
    }

    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, found " + maxNewTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling config is required");
        }
        if (logprobs < 0 || logprobs > 20) {
            throw new IllegalArgumentException("logprobs must be in 0..20, found " + logprobs);
        }
    }

    /** Defaults: 256 tokens, greedy, BOS, stop at EOS. */
    public static GenerationConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this config's values. */
    public Builder toBuilder() {
        return builder().optMaxNewTokens(maxNewTokens).optStopStrings(stopStrings).optStopAtEos(stopAtEos)
                .optAddBos(addBos).optSampling(sampling).optLogprobs(logprobs);
    }

    /** Builder; every field optional. */
    public static final class Builder {
        private int logprobs;
        private int maxNewTokens = 256;
        private List<String> stopStrings = List.of();
        private boolean stopAtEos = true;
        private boolean addBos = true;
        private SamplingConfig sampling = SamplingConfig.GREEDY;

        public Builder optMaxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        public Builder optStopStrings(List<String> s) {
            this.stopStrings = s;
            return this;
        }

        public Builder optStopAtEos(boolean b) {
            this.stopAtEos = b;
            return this;
        }

        public Builder optAddBos(boolean b) {
            this.addBos = b;
            return this;
        }

        public Builder optSampling(SamplingConfig s) {
            this.sampling = s;
            return this;
        }

        /** Top log-probabilities per generated token (0..20; default 0 = none). */
        public Builder optLogprobs(int n) {
            this.logprobs = n;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, stopStrings, stopAtEos, addBos, sampling, logprobs);
        }
    }
}
