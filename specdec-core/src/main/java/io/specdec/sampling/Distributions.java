package io.specdec.sampling;

import java.util.SplittableRandom;

/**
 * Probability vectors and sampling from them: the one softmax, argmax and categorical sampler of the library.
 * Speculative acceptance needs probabilities, not only ids, so everything here works on {@code float[]} rows.
 * Stateless; thread-safe.
 */
public final class Distributions {
    private Distributions() {}

    /** Numerically stable softmax of one row; {@code -inf} entries get probability 0. */
    public static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
            throw new IllegalArgumentException("cannot normalise logits: every entry is -inf or NaN");
        }
        float[] p = new float[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            double e = Math.exp(logits[i] - max);
            p[i] = (float) e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < p.length; i++) {
            p[i] *= inv;
        }
        return p;
    }

    /** {@code log softmax(logits)[token]}, in double precision (max-shifted). */
    public static double logProb(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        return logits[token] - max - Math.log(z);
    }

    /** Index of the largest value (first on ties). */
    public static int argmax(float[] v) {
        return argmax(v, 0, v.length);
    }

    /** Index (relative to {@code off}) of the largest of {@code v[off, off+n)}, first on ties. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** Draws an index with probability proportional to {@code weights} (need not be normalised; all ≥ 0). */
    public static int sample(float[] weights, SplittableRandom rng) {
        double total = 0;
        for (float w : weights) {
            total += w;
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("cannot sample: weights sum to " + total);
        }
        double u = rng.nextDouble() * total;
        double cum = 0;
        int last = -1;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                cum += weights[i];
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last; // rounding: u landed past the float sum
    }
}
