package io.specdec.speculation;

/**
 * What a drafter knows about one drafted token, for the length controller (ALGORITHMS.md §7): the draft's
 * probability of the token, its largest probability, the margin between its two largest, the entropy of its
 * distribution (nats) and, where the drafter has one, the feature vector that produced the step (a draft model's
 * last hidden state, an EAGLE layer's output, a Hydra head's input). Probabilities are from the processed softmax at
 * temperature 1 even for greedy requests (a point mass says nothing about confidence). Immutable by convention: the
 * feature array is not copied.
 *
 * @param probability the draft's probability of the drafted token, in [0, 1]
 * @param topProbability the draft's largest probability, in [0, 1]
 * @param margin largest minus second-largest probability, in [0, 1]
 * @param entropy entropy of the draft distribution in nats, {@code >= 0}
 * @param features the drafter's feature vector for the step ({@code [width]}), or null when it has none
 */
public record DraftSignals(float probability, float topProbability, float margin, float entropy, float[] features) {
    /** Number of scalar signals ({@link #scalars()}). */
    public static final int SCALARS = 4;

    /** Signals of {@code token} under the distribution {@code p} ({@code [vocab]}, summing to 1). */
    public static DraftSignals of(float[] p, int token, float[] features) {
        float top = 0;
        float second = 0;
        double h = 0;
        for (float v : p) {
            if (v > top) {
                second = top;
                top = v;
            } else if (v > second) {
                second = v;
            }
            if (v > 0) {
                h -= v * Math.log(v);
            }
        }
        return new DraftSignals(p[token], top, top - second, (float) h, features);
    }

    /** Signals of {@code token} under softmax({@code logits}) (raw logits, {@code [vocab]}). */
    public static DraftSignals ofLogits(float[] logits, int token, float[] features) {
        return of(io.specdec.sampling.Distributions.softmax(logits), token, features);
    }

    /** The scalar signals as one vector: probability, top probability, margin, entropy. */
    public float[] scalars() {
        return new float[] {probability, topProbability, margin, entropy};
    }
}
