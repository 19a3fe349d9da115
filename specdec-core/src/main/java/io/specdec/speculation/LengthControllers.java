package io.specdec.speculation;

import java.util.HashMap;
import java.util.Map;

/**
 * The built-in candidate-length controllers (ALGORITHMS.md §7): static K, the Hugging Face heuristic, confidence stop
 * (llama.cpp {@code p_min}, HF {@code assistant_confidence_threshold}) and a goodput model (vLLM design note). A
 * decoder makes one per request; the stateful ones synchronise anyway, so one may also be shared on purpose.
 */
public final class LengthControllers {
    private LengthControllers() {}

    /** Always {@code k}. */
    public static CandidateLengthController fixed(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("K must be >= 0, found " + k);
        }
        return new CandidateLengthController() {
            @Override
            public int nextBudget(int max) {
                return Math.min(k, max);
            }

            @Override
            public String name() {
                return "static(" + k + ")";
            }
        };
    }

    /** Hugging Face heuristic: start at {@code initial}; +2 after a fully accepted round, else −1 (min 1). */
    public static CandidateLengthController heuristic(int initial, int cap) {
        return new CandidateLengthController() {
            private int k = initial;

            @Override
            public synchronized int nextBudget(int max) {
                return Math.min(k, max);
            }

            @Override
            public synchronized void observe(RoundResult r) {
                if (r.tree().size() == 0) {
                    return;
                }
                k = r.accepted() == r.tree().maxDepth() ? Math.min(cap, k + 2) : Math.max(1, k - 1);
            }

            @Override
            public String name() {
                return "heuristic";
            }
        };
    }

    /** Drafts up to {@code max} tokens but stops at the first whose draft top probability is below {@code threshold}. */
    public static CandidateLengthController confidence(float threshold, int max) {
        return new CandidateLengthController() {
            @Override
            public int nextBudget(int m) {
                return Math.min(max, m);
            }

            /** Stops below the threshold of the draft's top probability (known before the token is drawn). */
            @Override
            public double admit(DraftStep s) {
                return s.signals() == null || s.signals().topProbability() >= threshold ? 1 : STOP;
            }

            @Override
            public String name() {
                return "confidence(" + threshold + ")";
            }
        };
    }

    /** A goodput controller with at most {@code maxK} tokens; see {@link Goodput}. */
    public static CandidateLengthController goodput(int maxK) {
        return new Goodput(maxK);
    }

    /**
     * Goodput model: per-position acceptance EMAs α_i (probability that token i is accepted given i−1 were), measured
     * draft cost per token and verify cost per tree size; picks {@code K* = argmax E_acc(K) / cost(K)} with
     * {@code E_acc(K) = 1 + Σ_{i≤K} Π_{j≤i} α_j} and {@code cost(K) = t_verify(K+1) + K·t_draft}, and K = 0 (no
     * speculation) when no K beats an autoregressive step {@code 1 / t_verify(1)}. While speculation is off it
     * probes with K = 1 every 16 rounds so its estimates stay current. EMA weight 0.1; α prior 0.5.
     */
    public static final class Goodput implements CandidateLengthController {
        private static final double W = 0.1;
        private final int maxK;
        private final double[] alpha;
        private final Map<Integer, Double> verifyNanos = new HashMap<>();
        private double draftNanosPerToken = -1;
        private int roundsOff;
        private int lastK;

        Goodput(int maxK) {
            this.maxK = maxK;
            this.alpha = new double[maxK + 1];
            java.util.Arrays.fill(alpha, 0.5);
        }

        @Override
        public synchronized int nextBudget(int max) {
            int limit = Math.min(maxK, max);
            if (draftNanosPerToken < 0 || verifyNanos.isEmpty()) {
                lastK = Math.min(limit, 3); // no measurements yet
                return lastK;
            }
            double best = 1.0 / verify(1);
            int bestK = 0;
            double prod = 1;
            double expected = 1;
            for (int k = 1; k <= limit; k++) {
                prod *= alpha[k];
                expected += prod;
                double rate = expected / (verify(k + 1) + k * draftNanosPerToken);
                if (rate > best) {
                    best = rate;
                    bestK = k;
                }
            }
            if (bestK == 0 && ++roundsOff % 16 == 0) {
                bestK = Math.min(1, limit); // probe
            }
            lastK = bestK;
            return bestK;
        }

        /** Measured verify time for a forward of {@code t} tokens; nearest measured size scaled linearly. */
        private double verify(int t) {
            Double v = verifyNanos.get(t);
            if (v != null) {
                return v;
            }
            int nearest = -1;
            for (int k : verifyNanos.keySet()) {
                if (nearest < 0 || Math.abs(k - t) < Math.abs(nearest - t)) {
                    nearest = k;
                }
            }
            double base = verifyNanos.get(nearest);
            return t > nearest ? base * (1 + 0.1 * (t - nearest)) : base;
        }

        @Override
        public synchronized void observe(RoundResult r) {
            int t = 1 + r.tree().size();
            verifyNanos.merge(t, (double) r.verifyNanos(), (old, x) -> (1 - W) * old + W * x);
            int k = r.tree().maxDepth();
            if (k > 0) {
                double perToken = (double) r.draftNanos() / k;
                draftNanosPerToken = draftNanosPerToken < 0 ? perToken : (1 - W) * draftNanosPerToken + W * perToken;
                for (int i = 1; i <= Math.min(k, maxK); i++) {
                    if (i - 1 > r.accepted()) {
                        break; // position i was not reached (an earlier token was rejected)
                    }
                    double hit = r.accepted() >= i ? 1 : 0;
                    alpha[i] = (1 - W) * alpha[i] + W * hit;
                }
            }
        }

        /** Current acceptance estimates α_1..α_maxK (for reports). */
        public synchronized double[] acceptanceEstimates() {
            return java.util.Arrays.copyOfRange(alpha, 1, alpha.length);
        }

        @Override
        public String name() {
            return "goodput";
        }
    }
}
