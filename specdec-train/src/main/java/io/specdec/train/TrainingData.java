package io.specdec.train;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Token sequences (with optional teacher top-k logits) cut into fixed-length training windows. Batch {@code s} is a
 * pure function of (data, seed, s): {@code B} windows of {@code T + 1} tokens at random sequences and offsets drawn
 * from {@code SplittableRandom(mix(seed, s))}, so a resumed run sees exactly the batches an uninterrupted run would.
 * Sequences shorter than the window are right-padded and the padding is masked out of the loss. Immutable.
 */
public final class TrainingData {
    private final List<SampleFile.Sample> samples;
    private final int vocab;
    private final int topK;
    private final long tokens;

    /**
     * @param samples the sequences (at least one with two or more tokens)
     * @param vocab the vocabulary the ids index
     * @param topK teacher logits per position stored in every sample (0 = none)
     */
    public TrainingData(List<SampleFile.Sample> samples, int vocab, int topK) {
        long n = 0;
        for (SampleFile.Sample s : samples) {
            if (s.ids().length >= 2) {
                n += s.ids().length - 1;
            }
            for (int id : s.ids()) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("training token id " + id + " outside the model's vocabulary"
                            + " 0.." + (vocab - 1));
                }
            }
            if (topK > 0 && (s.topIds() == null || s.topIds().length != (s.ids().length - 1) * topK)) {
                throw new IllegalArgumentException("training sample without top-" + topK + " teacher logits");
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("training data holds no sequence of two or more tokens");
        }
        this.samples = List.copyOf(samples);
        this.vocab = vocab;
        this.topK = topK;
        this.tokens = n;
    }

    /** Predicted positions (tokens after the first of each sequence). */
    public long tokens() {
        return tokens;
    }

    /** Number of sequences. */
    public int size() {
        return samples.size();
    }

    /** Teacher logits per position (0 = none). */
    public int topK() {
        return topK;
    }

    /** The vocabulary. */
    public int vocab() {
        return vocab;
    }

    /**
     * One batch on the host.
     *
     * @param inputs {@code [B*T]} ids
     * @param targets {@code [B*T]} next ids
     * @param mask {@code [B*T]} 1 where the target is real, 0 on padding
     * @param teacherIds {@code [B*T*k]} or null
     * @param teacherProbs {@code [B*T*k]} the teacher's top-k probabilities renormalised (0 on padding) or null
     */
    public record Batch(int b, int t, int[] inputs, int[] targets, float[] mask, int[] teacherIds,
            float[] teacherProbs) {}

    /** Batch {@code step} of {@code b} windows of {@code t} predictions. */
    public Batch batch(long seed, long step, int b, int t) {
        SplittableRandom r = new SplittableRandom(SelfDistillation.mix(seed, step));
        int[] in = new int[b * t];
        int[] tg = new int[b * t];
        float[] mask = new float[b * t];
        int[] tIds = topK > 0 ? new int[b * t * topK] : null;
        float[] tP = topK > 0 ? new float[b * t * topK] : null;
        for (int i = 0; i < b; i++) {
            SampleFile.Sample s;
            do {
                s = samples.get(r.nextInt(samples.size()));
            } while (s.ids().length < 2);
            int len = s.ids().length;
            int maxStart = Math.max(0, len - 1 - t);
            int start = maxStart == 0 ? 0 : r.nextInt(maxStart + 1);
            for (int j = 0; j < t; j++) {
                int pos = start + j;
                int o = i * t + j;
                if (pos + 1 < len) {
                    in[o] = s.ids()[pos];
                    tg[o] = s.ids()[pos + 1];
                    mask[o] = 1f;
                    if (topK > 0) {
                        float max = s.topLogits()[pos * topK];
                        double z = 0;
                        for (int k = 0; k < topK; k++) {
                            z += Math.exp(s.topLogits()[pos * topK + k] - max);
                        }
                        for (int k = 0; k < topK; k++) {
                            tIds[o * topK + k] = s.topIds()[pos * topK + k];
                            tP[o * topK + k] = (float) (Math.exp(s.topLogits()[pos * topK + k] - max) / z);
                        }
                    }
                } else {
                    in[o] = pos < len ? s.ids()[pos] : 0;
                }
            }
        }
        return new Batch(b, t, in, tg, mask, tIds, tP);
    }

    /** Splits off the last {@code fraction} of the sequences (at least one) as held-out data: [train, validation]. */
    public static List<List<SampleFile.Sample>> split(List<SampleFile.Sample> all, double fraction) {
        if (all.size() < 2) {
            throw new IllegalArgumentException("need at least 2 sequences to hold some out, found " + all.size());
        }
        int val = Math.max(1, (int) Math.round(all.size() * fraction));
        val = Math.min(val, all.size() - 1);
        return List.of(all.subList(0, all.size() - val), all.subList(all.size() - val, all.size()));
    }
}
