package io.specdec.drafters.sizing;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.RoundResult;
import io.specdec.speculation.TreeSizing;
import java.util.List;
import java.util.Locale;

/**
 * How often the target's next token is a drafter's rank-r candidate, measured on the target's own greedy
 * continuations — the per-rank acceptance estimates that {@link TreeSizing} needs.
 *
 * @param counts {@code counts[r]}: observations where the target's token was the rank-r candidate
 * @param total observations (including those where it was no candidate)
 * @param sequences per calibration sequence, the rank at each consecutive position (-1 = no candidate), when the
 *     observations are consecutive positions of a text (teacher-forced); empty otherwise
 */
public record RankStats(long[] counts, long total, int[][] sequences) {
    /** Marginal counts only (no joint information). */
    public RankStats(long[] counts, long total) {
        this(counts, total, new int[0][]);
    }

    /**
     * The empirical joint path model: P(path r_1..r_d) = the fraction of positions j whose ranks at j, j+1, …,
     * j+d−1 are exactly r_1..r_d — what a greedy tree with the drafter's ranked candidates accepts there, since an
     * accepted path puts the drafter in the same context as teacher forcing. Keeps the correlation between
     * consecutive acceptances (easy passages are long runs) that the positional model drops; falls back to the
     * positional model when no sequences were recorded.
     */
    public TreeSizing.PathModel pathModel() {
        if (sequences.length == 0) {
            return TreeSizing.positional(probabilities());
        }
        return path -> {
            long hits = 0;
            long positions = 0;
            for (int[] seq : sequences) {
                for (int j = 0; j < seq.length; j++) {
                    positions++;
                    boolean all = true;
                    for (int i = 0; i < path.length && all; i++) {
                        all = j + i < seq.length && seq[j + i] == path[i];
                    }
                    hits += all ? 1 : 0;
                }
            }
            return positions == 0 ? 0 : (double) hits / positions;
        };
    }

    /** p(r) = counts[r] / total; all zero when nothing was observed (no evidence that drafting pays). */
    public double[] probabilities() {
        return total == 0 ? new double[counts.length] : TreeSizing.rankProbabilities(counts, total);
    }

    @Override
    public String toString() {
        double[] p = probabilities();
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < p.length; r++) {
            sb.append(String.format(Locale.ROOT, "%s%.3f", r == 0 ? "" : ", ", p[r]));
        }
        return "p(rank) = [" + sb + "] over " + total + " tokens";
    }

    /**
     * Teacher-forced draft model: one draft forward over each whole sequence; for every generated position, the
     * rank of the target's token in the draft's logits.
     *
     * @param sequences prompt ids followed by the target's greedy continuation
     * @param promptLengths where each continuation starts
     */
    public static RankStats draftModel(CausalLM draft, List<int[]> sequences, List<Integer> promptLengths,
            int ranks) {
        long[] counts = new long[ranks];
        long total = 0;
        int[][] perSequence = new int[sequences.size()][];
        for (int s = 0; s < sequences.size(); s++) {
            int[] ids = sequences.get(s);
            int start = Math.max(0, promptLengths.get(s) - 1);
            perSequence[s] = new int[Math.max(0, ids.length - 1 - start)];
            try (KvCache cache = draft.newCache(ids.length)) {
                ForwardResult r = draft.forward(cache, ids, ForwardOptions.DEFAULT);
                for (int j = start; j + 1 < ids.length; j++) {
                    float[] row = r.row(j);
                    float v = row[ids[j + 1]];
                    int rank = 0;
                    for (float x : row) {
                        if (x > v) {
                            rank++;
                        }
                    }
                    if (rank < ranks) {
                        counts[rank]++;
                    }
                    perSequence[s][j - start] = rank < ranks ? rank : -1;
                    total++;
                }
            }
        }
        return new RankStats(counts, total, perSequence);
    }

    /**
     * Records, in flight, which of the root's children the target accepted in each round (their draft order is their
     * rank, as in Token Recycling's template) — for drafters whose proposals depend on state the decode loop itself
     * updates, where a teacher-forced estimate would miss what they learn during the request. Not thread-safe.
     */
    public static final class Recorder {
        private final long[] counts;
        private long total;

        /** Records ranks 0..ranks-1. */
        public Recorder(int ranks) {
            counts = new long[ranks];
        }

        /** {@code f} with every round it drafts observed here too. */
        public DrafterFactory wrap(DrafterFactory f) {
            return () -> {
                Drafter d = f.create();
                return new Drafter() {
                    @Override
                    public void begin(io.specdec.speculation.PromptContext prompt) {
                        d.begin(prompt);
                    }

                    @Override
                    public DraftTree propose(DraftContext ctx) {
                        return d.propose(ctx);
                    }

                    @Override
                    public void observe(RoundResult r) {
                        record(r);
                        d.observe(r);
                    }

                    @Override
                    public io.specdec.speculation.OutputRequest targetOutputs() {
                        return d.targetOutputs();
                    }

                    @Override
                    public io.specdec.tokenizer.Tokenizer tokenizer() {
                        return d.tokenizer();
                    }

                    @Override
                    public int vocabSize() {
                        return d.vocabSize();
                    }

                    @Override
                    public void close() {
                        d.close();
                    }
                };
            };
        }

        private void record(RoundResult r) {
            if (r.tree().size() == 0) {
                return;
            }
            total++;
            if (r.accepted() > 0) {
                int[] first = r.tree().children(-1);
                for (int i = 0; i < first.length && i < counts.length; i++) {
                    if (first[i] == r.acceptedNode(0)) {
                        counts[i]++;
                    }
                }
            }
        }

        /** What was recorded so far. */
        public RankStats stats() {
            return new RankStats(counts.clone(), total);
        }
    }
}
