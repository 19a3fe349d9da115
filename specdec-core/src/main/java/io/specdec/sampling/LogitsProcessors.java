package io.specdec.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The logits processors and the one chain built from a {@link SamplingConfig}. Semantics follow Hugging Face's
 * {@code RepetitionPenaltyLogitsProcessor}, {@code TemperatureLogitsWarper}, {@code TopKLogitsWarper},
 * {@code TopPLogitsWarper} and {@code MinPLogitsWarper}; ties at a top-k/top-p boundary are kept (all tokens whose
 * logit equals the boundary logit survive), so the result does not depend on sort stability.
 */
public final class LogitsProcessors {
    private LogitsProcessors() {}

    /** The chain for {@code cfg} (repetition penalty → temperature → top-k → top-p → min-p); empty when greedy. */
    public static LogitsProcessor of(SamplingConfig cfg) {
        List<LogitsProcessor> chain = new ArrayList<>();
        if (cfg.repetitionPenalty() != 1f) {
            chain.add(repetitionPenalty(cfg.repetitionPenalty()));
        }
        if (!cfg.isGreedy()) {
            if (cfg.temperature() != 1f) {
                chain.add(temperature(cfg.temperature()));
            }
            if (cfg.topK() > 0) {
                chain.add(topK(cfg.topK()));
            }
            if (cfg.topP() < 1f) {
                chain.add(topP(cfg.topP()));
            }
            if (cfg.minP() > 0f) {
                chain.add(minP(cfg.minP()));
            }
        }
        LogitsProcessor[] ps = chain.toArray(new LogitsProcessor[0]);
        return (logits, history, n) -> {
            for (LogitsProcessor p : ps) {
                p.process(logits, history, n);
            }
        };
    }

    /** Divides every logit by {@code t} ({@code t > 0}). */
    public static LogitsProcessor temperature(float t) {
        if (!(t > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, found " + t);
        }
        return (l, h, n) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] /= t;
            }
        };
    }

    /** Keeps the {@code k} largest logits (and any tied with the k-th). */
    public static LogitsProcessor topK(int k) {
        return (l, h, n) -> {
            if (k >= l.length) {
                return;
            }
            int[] top = TopK.indices(l, k);
            float kth = l[top[k - 1]];
            for (int i = 0; i < l.length; i++) {
                if (l[i] < kth) {
                    l[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /** Keeps the smallest top set whose probability mass reaches {@code p} (nucleus sampling). */
    public static LogitsProcessor topP(float p) {
        return (l, h, n) -> {
            float[] probs = Distributions.softmax(l);
            float[] sorted = probs.clone();
            Arrays.sort(sorted);
            double cum = 0;
            float cutoff = 0;
            for (int i = sorted.length - 1; i >= 0; i--) {
                cum += sorted[i];
                cutoff = sorted[i];
                if (cum >= p) {
                    break;
                }
            }
            for (int i = 0; i < l.length; i++) {
                if (probs[i] < cutoff) {
                    l[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /** Drops tokens whose probability is below {@code p} times the largest probability. */
    public static LogitsProcessor minP(float p) {
        return (l, h, n) -> {
            float max = Float.NEGATIVE_INFINITY;
            for (float v : l) {
                max = Math.max(max, v);
            }
            // prob_i / prob_max = exp(l_i - max) < p  <=>  l_i < max + ln p
            float threshold = max + (float) Math.log(p);
            for (int i = 0; i < l.length; i++) {
                if (l[i] < threshold) {
                    l[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /** Penalises every token present in the history (each once): positive logits divided, negative multiplied. */
    public static LogitsProcessor repetitionPenalty(float theta) {
        return (l, h, n) -> {
            boolean[] seen = new boolean[l.length];
            for (int i = 0; i < n; i++) {
                int t = h[i];
                if (t >= 0 && t < l.length && !seen[t]) {
                    seen[t] = true;
                    l[t] = l[t] > 0 ? l[t] / theta : l[t] * theta;
                }
            }
        };
    }
}
