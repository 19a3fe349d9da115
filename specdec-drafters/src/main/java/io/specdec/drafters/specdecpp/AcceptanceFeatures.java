package io.specdec.drafters.specdecpp;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.RoundResult;

/**
 * The acceptance head's input for one drafted node, built by one function for training and inference: the drafter's
 * feature vector scaled to unit RMS (what produced the node's distribution: a draft model's hidden state, an EAGLE
 * layer's output, the target feature the heads read), then {@value #SCALARS} scalars — the draft's top probability,
 * the margin to its second-best, its entropy (nats), the depth / 8, the fraction of the previous round's drafted
 * depth the target accepted, the request's temperature (0 = greedy), and the drafted token's own probability when the
 * token was chosen deterministically (a tree's lower-ranked siblings). A sampled token's own probability is hidden
 * (a verdict on it may not read it: lossless stop rule, {@link io.specdec.speculation.CandidateLengthController});
 * its slot then holds the top probability, which says nothing about the token drawn. Stateless.
 */
public final class AcceptanceFeatures {
    /** Scalar inputs after the features. */
    public static final int SCALARS = 7;

    private AcceptanceFeatures() {}

    /** Names of the scalar inputs, in order (for the file and reports). */
    public static final java.util.List<String> SCALAR_NAMES = java.util.List.of("top_probability", "margin",
            "entropy", "depth_over_8", "previous_acceptance", "temperature", "token_probability");

    /**
     * The input vector {@code [featureWidth + SCALARS]}.
     *
     * @param s the node's signals (features of {@code featureWidth} values, or null when the width is 0)
     * @param depth the node's depth (1 = child of the root)
     * @param previousAcceptance the previous round's accepted fraction, in [0, 1]
     * @param temperature the request's temperature (0 = greedy)
     * @throws IllegalArgumentException when the features' width is not {@code featureWidth}
     */
    public static float[] input(DraftSignals s, int depth, float previousAcceptance, float temperature,
            int featureWidth) {
        float[] f = s.features();
        int fw = f == null ? 0 : f.length;
        if (fw != featureWidth) {
            throw new IllegalArgumentException("the acceptance head reads " + featureWidth + " features per drafted"
                    + " token, the drafter gave " + fw);
        }
        float[] x = new float[featureWidth + SCALARS];
        if (fw > 0) {
            double ss = 0;
            for (float v : f) {
                ss += (double) v * v;
            }
            double inv = ss > 0 && Double.isFinite(ss) ? 1 / Math.sqrt(ss / fw) : 0;
            for (int i = 0; i < fw; i++) {
                x[i] = (float) (f[i] * inv);
            }
        }
        x[fw] = finite(s.topProbability());
        x[fw + 1] = finite(s.margin());
        x[fw + 2] = finite(s.entropy());
        x[fw + 3] = depth / 8f;
        x[fw + 4] = previousAcceptance;
        x[fw + 5] = temperature;
        x[fw + 6] = Float.isFinite(s.probability()) ? s.probability() : x[fw];
        return x;
    }

    private static float finite(float v) {
        return Float.isFinite(v) ? v : 0f;
    }

    /** The temperature input of a request. */
    public static float temperature(SamplingConfig s) {
        return s.isGreedy() ? 0f : s.temperature();
    }

    /**
     * Tracks the previous-acceptance input over one request's rounds: accepted tokens over the drafted depth of the
     * last round that drafted anything; 0.5 before the first. Not thread-safe (one per request).
     */
    public static final class Tracker {
        private float previous = 0.5f;

        /** The input for the next round. */
        public float previous() {
            return previous;
        }

        /** Learns from a verified round. */
        public void observe(RoundResult r) {
            int d = r.tree().maxDepth();
            if (d > 0) {
                previous = (float) r.accepted() / d;
            }
        }
    }
}
