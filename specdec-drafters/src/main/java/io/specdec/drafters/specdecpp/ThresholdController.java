package io.specdec.drafters.specdecpp;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.RoundResult;
import java.util.Locale;

/**
 * SpecDec++'s threshold controller (Huang et al. 2024; ALGORITHMS.md §7): while a round drafts, it multiplies the
 * acceptance head's predictions {@code a_i} for the tokens drafted so far; before drafting token k it stops when the
 * predicted probability that at least one of tokens 1..k-1 is rejected, {@code 1 − Π a_i}, exceeds {@code h}, except
 * while {@code k ≤ kMin}; the round budget is {@code kMax}. A drafter without a hidden state (head input) for a step
 * is not stopped at it.
 *
 * <p><b>Derived threshold</b> (when no {@code h} is given), from the paper's theory that the optimal policy stops
 * when the expected gain of drafting more falls below its cost. Token j is accepted (adding one emitted token, worth
 * a target step {@code c(1)}) with probability {@code Π_{i≤j} a_i}; drafting tokens k..K' costs {@code (K'−k+1)·d}
 * of draft time plus {@code c(K'+1) − c(k)} of verification, read from the measured cost curve. With the head's
 * prediction for token k standing in for the ones after it ({@code a_j ≈ a_k}), token k is drafted when some
 * {@code K' ∈ [k, K_max]} has {@code c(1)·Σ_{j=k..K'} cum·a_k^{j−k+1} ≥ (K'−k+1)·d + c(K'+1) − c(k)}, where cum is
 * the product so far. The lookahead matters on curves that are not convex (a dear step followed by cheap ones): the
 * one-step rule {@code h_k = 1 − (d + c(k+1) − c(k)) / c(1)} ({@link #threshold()} reports it at k = 4) would stop
 * before the cheap part. d is the measured mean draft time per drafted token of the rounds seen so far (0 before the
 * first).
 *
 * <p>Thread-safe: the running product is per thread (a round is drafted on one thread), the cost estimate is
 * synchronised.
 */
public final class ThresholdController implements CandidateLengthController {
    private final AcceptanceHead head;
    private final Float threshold;
    private final int kMin;
    private final int kMax;
    private final CostCurve curve;
    private final ThreadLocal<double[]> cum = ThreadLocal.withInitial(() -> new double[] {1});
    private double draftMicrosPerToken;
    private long draftedTokens;
    private long drafted;
    private long rounds;

    /**
     * @param threshold h in (0, 1), or null to derive it from {@code curve} and the measured draft cost
     * @param kMin tokens always drafted (≥ 1)
     * @param kMax largest round (≥ kMin)
     * @param curve the target's cost curve (needed when {@code threshold} is null)
     */
    public ThresholdController(AcceptanceHead head, Float threshold, int kMin, int kMax, CostCurve curve) {
        if (kMin < 1 || kMax < kMin) {
            throw new IllegalArgumentException("SpecDec++ needs 1 <= K_min <= K_max, found " + kMin + ", " + kMax);
        }
        if (threshold != null && !(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("--threshold must be in (0, 1), found " + threshold);
        }
        if (threshold == null && curve == null) {
            throw new IllegalArgumentException("a derived threshold needs the target's cost curve");
        }
        this.head = head;
        this.threshold = threshold;
        this.kMin = kMin;
        this.kMax = kMax;
        this.curve = curve;
    }

    /** The threshold in force: the given one, or the derived one from the measurements so far. */
    public synchronized double threshold() {
        return threshold != null ? threshold : derived(4);
    }

    /** Whether drafting from token k on pays for some round end K' (the lookahead rule of the class doc). */
    synchronized boolean pays(int k, double cum, double a) {
        double c1 = curve.micros(1);
        double base = curve.micros(k);
        double gain = 0;
        double p = cum;
        for (int end = k; end <= kMax; end++) {
            p *= a;
            gain += p;
            if (c1 * gain >= (end - k + 1) * draftMicrosPerToken + curve.micros(end + 1) - base) {
                return true;
            }
        }
        return false;
    }

    /** The one-step derived {@code h_k} for drafting token k (see the class doc). */
    synchronized double derived(int k) {
        double c1 = curve.micros(1);
        return 1 - (draftMicrosPerToken + curve.micros(k + 1) - curve.micros(k)) / c1;
    }

    @Override
    public int nextBudget(int max) {
        return Math.min(max, kMax);
    }

    @Override
    public boolean continueDrafting(DraftStep step) {
        double[] c = cum.get();
        if (step.index() == 1) {
            c[0] = 1;
        }
        if (step.hidden() == null) {
            return true;
        }
        if (threshold != null) {
            if (step.index() > kMin && 1 - c[0] > threshold) {
                return false;
            }
            c[0] *= head.accept(step.hidden());
            return true;
        }
        double a = head.accept(step.hidden());
        if (step.index() > kMin && !pays(step.index(), c[0], a)) {
            return false;
        }
        c[0] *= a;
        return true;
    }

    @Override
    public synchronized void observe(RoundResult r) {
        int n = r.tree().size();
        rounds++;
        drafted += n;
        if (n > 0) {
            double us = r.draftNanos() / 1e3 / n;
            draftedTokens += n;
            // running mean weighted by tokens (the first rounds include JIT warm-up; the mean forgets them slowly)
            draftMicrosPerToken += (us - draftMicrosPerToken) * n / Math.min(draftedTokens, 2000);
        }
    }

    /** Mean tokens drafted per round so far. */
    public synchronized double meanDrafted() {
        return rounds == 0 ? 0 : (double) drafted / rounds;
    }

    @Override
    public String name() {
        return threshold != null ? String.format(Locale.ROOT, "specdec++(h=%.2f)", threshold)
                : "specdec++(derived h)";
    }
}
