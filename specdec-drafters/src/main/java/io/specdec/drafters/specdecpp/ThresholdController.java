package io.specdec.drafters.specdecpp;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.RoundResult;
import io.specdec.sampling.SamplingConfig;
import java.util.Locale;

/**
 * SpecDec++'s threshold controller (Huang et al. 2024; ALGORITHMS.md §7): for every drafted node the acceptance head
 * predicts {@code a}, the probability that the target accepts it given its ancestors were accepted; the decode loop
 * ({@link io.specdec.speculation.DraftGate}) multiplies the predictions along each branch. A node at depth k is
 * dropped (with its subtree) when the predicted probability that one of its ancestors is rejected,
 * {@code 1 − Π a_i}, exceeds {@code h}, except while {@code k ≤ kMin}; the round budget is {@code kMax}. It reads
 * what the drafter knew when it drafted the node ({@link AcceptanceFeatures}), so it works for every drafter whose
 * proposals carry features — draft model, EAGLE, Hydra, Medusa — with a head trained for that drafter.
 *
 * <p><b>Derived stop rule</b> (when no {@code h} is given), from the paper's theory that the optimal policy stops
 * when drafting more no longer improves the objective — here throughput, tokens per unit of time. A round that keeps
 * K drafted tokens emits {@code E(K) = 1 + Σ_{j≤K} Π_{i≤j} a_i} tokens in expectation and costs
 * {@code T(K) = c(K+1) + K·d} (c the target's measured cost curve, its scale following the verify times of the
 * rounds seen — an exponential average of measured/predicted, weight 0.1 — and d the measured draft time per drafted
 * depth).
 * At node k, with {@code S} the expected accepted tokens of its ancestors ({@code DraftStep.pathExpected}), cum their
 * path product and the head's prediction for node k standing in for the nodes after it ({@code a_j ≈ a_k}), node k
 * is kept when some {@code K' ∈ [k, K_max]} has {@code E(K')/T(K') > E(k−1)/T(k−1)} with
 * {@code E(K') = 1 + S + Σ_{j=k..K'} cum·a_k^{j−k+1}}: drafting on must beat stopping now at the round's own rate,
 * not at the rate of plain decoding (an additive "gain above cost" rule, the previous version, drafted about 5 tokens
 * where the best static K was 3). The lookahead over K' sees past a dear step followed by cheap ones.
 * {@link #threshold()} reports the one-step threshold {@code h_4 = 1 − (d + c(5) − c(4)) / c(1)} for reference.
 *
 * <p>One per request (a decoder makes one with its factory); not thread-safe.
 */
public final class ThresholdController implements CandidateLengthController {
    private final AcceptanceHead head;
    private final Float threshold;
    private final int kMin;
    private final int kMax;
    private final CostCurve curve;
    private final AcceptanceFeatures.Tracker tracker = new AcceptanceFeatures.Tracker();
    private float temperature;
    private double draftMicrosPerToken;
    private long draftedTokens;
    private double costScale = 1;
    private long verified;

    /**
     * @param threshold h in (0, 1), or null to derive it from {@code curve} and the measured draft cost
     * @param kMin depth always drafted (≥ 1)
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

    @Override
    public void begin(SamplingConfig sampling) {
        temperature = AcceptanceFeatures.temperature(sampling);
    }

    /** The threshold in force: the given one, or the derived one from the measurements so far. */
    public double threshold() {
        return threshold != null ? threshold : derived(4);
    }

    /** The target's cost of a forward of {@code t} rows now: the curve's shape times the scale the rounds measured. */
    double cost(int t) {
        return costScale * curve.micros(t);
    }

    /**
     * Whether keeping node k (and maybe more) beats stopping before it, in expected tokens per unit of time (the rule
     * of the class doc): {@code cum} and {@code above} are the path product and the expected accepted tokens of the
     * node's ancestors, {@code a} the head's prediction for it.
     */
    boolean pays(int k, double cum, double above, double a) {
        double stop = (1 + above) / (cost(k) + (k - 1) * draftMicrosPerToken);
        double tokens = 1 + above;
        double p = cum;
        for (int end = k; end <= kMax; end++) {
            p *= a;
            tokens += p;
            if (tokens / (cost(end + 1) + end * draftMicrosPerToken) > stop) {
                return true;
            }
        }
        return false;
    }

    /** The one-step derived {@code h_k} for drafting token k (see the class doc). */
    double derived(int k) {
        double c1 = curve.micros(1);
        return 1 - (draftMicrosPerToken + curve.micros(k + 1) - curve.micros(k)) / c1;
    }

    @Override
    public int nextBudget(int max) {
        return Math.min(max, kMax);
    }

    /** The head's prediction for a step (its input built by {@link AcceptanceFeatures#input}). */
    double predict(DraftStep step) {
        if (step.signals() == null) {
            throw new IllegalStateException("specdec++: the drafter gave no signals for a drafted token (the"
                    + " controller needs a drafter whose proposals carry features)");
        }
        return head.accept(AcceptanceFeatures.input(step.signals(), step.depth(), tracker.previous(), temperature,
                head.featureWidth()));
    }

    @Override
    public double admit(DraftStep step) {
        if (step.depth() > kMax) {
            return STOP;
        }
        double a = predict(step);
        if (step.depth() <= kMin) {
            return a;
        }
        if (threshold != null) {
            return 1 - step.pathAcceptance() > threshold ? STOP : a;
        }
        return pays(step.depth(), step.pathAcceptance(), step.pathExpected(), a) ? a : STOP;
    }

    @Override
    public void observe(RoundResult r) {
        tracker.observe(r);
        if (curve != null && r.verifyNanos() > 0) {
            // the curve was measured once (maybe on a busier or quieter machine): its scale follows the rounds
            double ratio = r.verifyNanos() / 1e3 / curve.micros(r.tree().size() + 1);
            costScale = verified++ == 0 ? ratio : costScale + 0.1 * (ratio - costScale);
        }
        int n = r.tree().maxDepth();
        if (n > 0) {
            double us = r.draftNanos() / 1e3 / n;
            draftedTokens += n;
            // running mean weighted by tokens (the first rounds include JIT warm-up; the mean forgets them slowly)
            draftMicrosPerToken += (us - draftMicrosPerToken) * n / Math.min(draftedTokens, 2000);
        }
    }

    @Override
    public String name() {
        return threshold != null ? String.format(Locale.ROOT, "specdec++(h=%.2f)", threshold)
                : "specdec++(derived h)";
    }
}
