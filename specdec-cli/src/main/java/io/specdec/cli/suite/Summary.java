package io.specdec.cli.suite;

import io.specdec.speculation.CostCurve;
import java.util.Arrays;
import java.util.List;

/**
 * Aggregate of one configuration's runs over a prompt set.
 *
 * @param speedupMedian median over prompts of AR time / speculative time
 * @param speedupMin smallest per-prompt speedup
 * @param speedupMax largest per-prompt speedup
 * @param speedupPooled (total speculative tokens/s) / (total AR tokens/s)
 * @param ideal {@code τ·c(1) / (c(mean verify tokens) + draft time per round)} from the cost curve
 * @param tau emitted tokens per target forward
 * @param acceptance accepted / drafted
 * @param specTokensPerSecond pooled speculative throughput
 * @param arTokensPerSecond pooled AR throughput
 * @param meanVerifyTokens mean tokens per verification forward (drafted nodes + 1)
 * @param draftFraction share of round time spent drafting
 * @param verifyFraction share spent in target forwards
 * @param bookkeepingFraction share spent elsewhere in the rounds
 * @param identical prompts whose speculative ids equal the AR ids
 * @param prompts prompts measured
 * @param acceptedLengthHistogram rounds by accepted length, summed over prompts
 */
public record Summary(double speedupMedian, double speedupMin, double speedupMax, double speedupPooled, double ideal,
        double tau, double acceptance, double specTokensPerSecond, double arTokensPerSecond, double meanVerifyTokens,
        double draftFraction, double verifyFraction, double bookkeepingFraction, int identical, int prompts,
        long[] acceptedLengthHistogram) {

    /** Pooled speedup as a fraction of the ideal one. */
    public double achievedOverIdeal() {
        return speedupPooled / ideal;
    }

    /** Summarises runs against the target's cost curve. */
    public static Summary of(List<PromptRun> runs, CostCurve curve) {
        double[] sp = runs.stream().mapToDouble(PromptRun::speedup).toArray();
        long rounds = 0;
        long emitted = 0;
        long drafted = 0;
        long accepted = 0;
        double dt = 0;
        double vt = 0;
        double bt = 0;
        double arT = 0;
        double specT = 0;
        long arTok = 0;
        long specTok = 0;
        int identical = 0;
        long[] hist = new long[0];
        for (PromptRun r : runs) {
            rounds += r.stats().rounds();
            emitted += r.stats().emitted();
            drafted += r.stats().drafted();
            accepted += r.stats().accepted();
            dt += r.stats().draftSeconds();
            vt += r.stats().verifySeconds();
            bt += r.stats().bookkeepingSeconds();
            arT += r.arSeconds();
            specT += r.specSeconds();
            arTok += r.arTokens();
            specTok += r.specTokens();
            identical += r.identical() ? 1 : 0;
            long[] h = r.stats().acceptedLengthHistogram();
            if (h.length > hist.length) {
                hist = Arrays.copyOf(hist, h.length);
            }
            for (int i = 0; i < h.length; i++) {
                hist[i] += h[i];
            }
        }
        double total = Math.max(1e-12, dt + vt + bt);
        double tau = rounds == 0 ? 1 : (double) emitted / rounds;
        double verifyTokens = rounds == 0 ? 1 : 1.0 + (double) drafted / rounds;
        double ideal = curve.idealSpeedup(tau, verifyTokens, rounds == 0 ? 0 : dt * 1e6 / rounds);
        double[] sorted = sp.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Summary(median, n == 0 ? 0 : sorted[0], n == 0 ? 0 : sorted[n - 1],
                (specTok / specT) / (arTok / arT), ideal, tau, drafted == 0 ? 0 : (double) accepted / drafted,
                specTok / specT, arTok / arT, verifyTokens, dt / total, vt / total, bt / total, identical, runs.size(),
                hist);
    }
}
