package io.specdec.generate;

/**
 * Per-request speculation metrics (ALGORITHMS.md §10, named as vLLM names them).
 *
 * @param rounds target forwards after the prefill
 * @param drafted draft tokens (tree nodes) proposed
 * @param accepted draft tokens accepted
 * @param emitted tokens emitted (accepted + one corrected/bonus per round)
 * @param perPositionAcceptance for position i (0-based), the fraction of rounds that drafted a token at depth i+1
 *     and accepted it
 * @param acceptedLengthHistogram count of rounds by number of accepted tokens (index = accepted length)
 * @param draftSeconds time proposing
 * @param verifySeconds time in target forwards
 * @param bookkeepingSeconds everything else in the rounds (tree walk, sampling, KV commit, drafter/controller updates)
 * @param lookaheads rounds during whose verification the drafter drafted the next round ahead (LLMCad's pipeline;
 *     0 when the pipeline is off)
 * @param lookaheadHits of those, rounds whose outcome the lookahead guessed, so the next proposal was ready
 * @param lossy the name of the lossy acceptance rule the request ran under (opt-in), or null: lossless
 */
public record SpeculationStats(int rounds, long drafted, long accepted, long emitted, double[] perPositionAcceptance,
        long[] acceptedLengthHistogram, double draftSeconds, double verifySeconds, double bookkeepingSeconds,
        int lookaheads, int lookaheadHits, String lossy) {
    /** Stats of a lossless run. */
    public SpeculationStats(int rounds, long drafted, long accepted, long emitted, double[] perPositionAcceptance,
            long[] acceptedLengthHistogram, double draftSeconds, double verifySeconds, double bookkeepingSeconds,
            int lookaheads, int lookaheadHits) {
        this(rounds, drafted, accepted, emitted, perPositionAcceptance, acceptedLengthHistogram, draftSeconds,
                verifySeconds, bookkeepingSeconds, lookaheads, lookaheadHits, null);
    }

    /** Stats of a lossless run without the pipeline. */
    public SpeculationStats(int rounds, long drafted, long accepted, long emitted, double[] perPositionAcceptance,
            long[] acceptedLengthHistogram, double draftSeconds, double verifySeconds, double bookkeepingSeconds) {
        this(rounds, drafted, accepted, emitted, perPositionAcceptance, acceptedLengthHistogram, draftSeconds,
                verifySeconds, bookkeepingSeconds, 0, 0);
    }

    /** lookaheadHits / lookaheads (0 when none ran). */
    public double lookaheadHitRate() {
        return lookaheads == 0 ? 0 : (double) lookaheadHits / lookaheads;
    }
    /** Mean accepted length τ: emitted tokens per target forward (includes the bonus/corrected token). */
    public double tau() {
        return rounds == 0 ? 0 : (double) emitted / rounds;
    }

    /** accepted / drafted (0 when nothing was drafted). */
    public double acceptanceRate() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }

    /** Fraction of round time that is bookkeeping. */
    public double bookkeepingFraction() {
        double total = draftSeconds + verifySeconds + bookkeepingSeconds;
        return total == 0 ? 0 : bookkeepingSeconds / total;
    }

    /**
     * One readable line, e.g. {@code "12 rounds, τ 2.42 tokens per target forward, acceptance 0.58 (28 of 48
     * drafted), per position [0.83, 0.58, 0.42, 0.25], accepted lengths [2, 3, 4, 3], draft 0.012 s, verify 0.101 s,
     * bookkeeping 0.004 s"}.
     */
    @Override
    public String toString() {
        java.util.StringJoiner per = new java.util.StringJoiner(", ", "[", "]");
        for (double p : perPositionAcceptance) {
            per.add(String.format(java.util.Locale.ROOT, "%.2f", p));
        }
        return String.format(java.util.Locale.ROOT, "%d rounds, τ %.2f tokens per target forward, acceptance %.2f"
                + " (%d of %d drafted), per position %s, accepted lengths %s, draft %.3f s, verify %.3f s,"
                + " bookkeeping %.3f s", rounds, tau(), acceptanceRate(), accepted, drafted, per,
                java.util.Arrays.toString(acceptedLengthHistogram), draftSeconds, verifySeconds, bookkeepingSeconds)
                + (lookaheads == 0 ? "" : String.format(java.util.Locale.ROOT, ", pipeline %d of %d lookaheads used",
                        lookaheadHits, lookaheads));
    }

    /** Mutable accumulator used by the decode loop. */
    public static final class Recorder {
        private int rounds;
        private long drafted;
        private long accepted;
        private long emitted;
        private long[] reached = new long[8];
        private long[] hits = new long[8];
        private long[] histogram = new long[8];
        private long draftNanos;
        private long verifyNanos;
        private long bookkeepingNanos;
        private int lookaheads;
        private int lookaheadHits;
        private String lossy;

        /** Records that the request runs under a lossy acceptance rule (its name). */
        public void lossy(String rule) {
            this.lossy = rule;
        }

        /** Records a lookahead (LLMCad pipeline) that ran during a round's verification and whether it was used. */
        public void lookahead(boolean hit) {
            lookaheads++;
            if (hit) {
                lookaheadHits++;
            }
        }

        /**
         * Records one round.
         *
         * @param draftedNodes nodes the round drafted
         * @param acceptedTokens draft tokens accepted
         * @param emittedTokens tokens emitted (accepted + the bonus or corrected token)
         * @param depth the draft tree's depth
         * @param roundDraftNanos time spent drafting, ns
         * @param roundVerifyNanos time spent verifying, ns
         * @param totalNanos the round's wall time, ns
         */
        public void record(int draftedNodes, int acceptedTokens, int emittedTokens, int depth, long roundDraftNanos,
                long roundVerifyNanos, long totalNanos) {
            rounds++;
            drafted += draftedNodes;
            accepted += acceptedTokens;
            emitted += emittedTokens;
            grow(Math.max(depth, acceptedTokens) + 1);
            for (int i = 0; i < depth; i++) {
                reached[i]++;
                if (acceptedTokens > i) {
                    hits[i]++;
                }
            }
            histogram[acceptedTokens]++;
            draftNanos += roundDraftNanos;
            verifyNanos += roundVerifyNanos;
            bookkeepingNanos += Math.max(0, totalNanos - roundDraftNanos - roundVerifyNanos);
        }

        private void grow(int n) {
            if (n > reached.length) {
                int m = Math.max(n, reached.length * 2);
                reached = java.util.Arrays.copyOf(reached, m);
                hits = java.util.Arrays.copyOf(hits, m);
                histogram = java.util.Arrays.copyOf(histogram, m);
            }
        }

        /** An immutable snapshot. */
        public SpeculationStats snapshot() {
            int maxDepth = 0;
            int maxLen = 0;
            for (int i = 0; i < reached.length; i++) {
                if (reached[i] > 0) {
                    maxDepth = i + 1;
                }
                if (histogram[i] > 0) {
                    maxLen = i + 1;
                }
            }
            double[] per = new double[maxDepth];
            for (int i = 0; i < maxDepth; i++) {
                per[i] = (double) hits[i] / reached[i];
            }
            return new SpeculationStats(rounds, drafted, accepted, emitted, per,
                    java.util.Arrays.copyOf(histogram, maxLen), draftNanos / 1e9, verifyNanos / 1e9,
                    bookkeepingNanos / 1e9, lookaheads, lookaheadHits, lossy);
        }
    }
}
