package io.specdec.speculation;

import java.util.function.IntSupplier;

/**
 * The speculation budget of one sequence under continuous batching: the draft length K that maximises the
 * <em>batch's</em> goodput, so speculation shrinks as the batch grows and switches itself off where batched
 * autoregressive decoding already uses the machine. With B sequences in the round, a per-position acceptance α_i
 * (EMAs, as {@link LengthControllers.Goodput}), the target's measured cost curve c_t(rows) and the draft model's
 * c_d(rows):
 *
 * <pre>
 *   goodput(K) = B · E(K) / (c_t(B·(K+1)) + K · c_d(B)),   E(K) = 1 + Σ_{i≤K} Π_{j≤i} α_j
 *   goodput(0) = B / c_t(B)                                  (batched autoregressive decoding)
 * </pre>
 *
 * and K* = argmax over 0..max, where a K &gt; 0 must beat K = 0 by a margin of 10% (the curves miss part of a
 * speculative round's cost). The verify of a batch is one forward over all B·(K+1) rows and the draft rounds are
 * K forwards of B rows each (both batched), hence the curves read at total rows. This is SpecMemo's point (Yin et
 * al. 2025: speculation and batching compete for the same compute and memory, so the speculation budget per
 * sequence must shrink with the batch) in the cost-curve form of Sequoia's sizing (ALGORITHMS.md §7); SpecMemo's
 * memory side is {@link #memoryPerSequence}. α starts at 0.8; while K* is 0 it probes with K = 1 every 4 rounds so α
 * stays current, unless even a perfect draft could not pay at this batch size.
 * Thread-safe (one instance per request; the batch size — the sequences open on the shared batched model — comes
 * from it).
 */
public final class BatchBudget implements CandidateLengthController {
    private static final double W = 0.1;
    /**
     * Speculation must promise this much more goodput than batched decoding: the curves are one sequence's
     * forwards, and a speculative round also pays draft catch-up, tree bookkeeping and rejected rows they do not
     * show (measured on the 1B twin: a predicted 1–2% gain at B = 8 and 16 was a 6–15% loss).
     */
    static final double MARGIN = 1.1;
    /**
     * The acceptance assumed before a request has measured its own (a distilled draft's: with a pessimistic prior and
     * the margin, a lone request on the 1B twin never started speculating within 24 tokens).
     */
    static final double PRIOR = 0.8;
    /** Rounds between probes (K = 1) while speculation is off and could pay. */
    static final int PROBE_EVERY = 4;
    private final IntSupplier batchSize;
    private final CostCurve target;
    private final CostCurve draft;
    private final int maxK;
    private final double[] alpha;
    private int roundsOff;

    /**
     * @param batchSize sequences open on the target's batched model ({@code >= 1} used)
     * @param target the target's c(rows)
     * @param draft the draft model's c(rows)
     * @param maxK most draft tokens per round
     */
    public BatchBudget(IntSupplier batchSize, CostCurve target, CostCurve draft, int maxK) {
        this.batchSize = batchSize;
        this.target = target;
        this.draft = draft;
        this.maxK = maxK;
        this.alpha = new double[maxK + 1];
        java.util.Arrays.fill(alpha, PRIOR);
    }

    /** K* for {@code b} sequences with acceptance estimates {@code alpha[1..]}, at most {@code limit}. */
    static int best(int b, double[] alpha, CostCurve target, CostCurve draft, int limit) {
        double ar = b / target.micros(b);
        double bestRate = ar * MARGIN;
        int bestK = 0;
        double prod = 1;
        double expected = 1;
        for (int k = 1; k <= limit; k++) {
            prod *= alpha[k];
            expected += prod;
            double rate = b * expected / (target.micros(b * (k + 1)) + k * draft.micros(b));
            if (rate > bestRate) {
                bestRate = rate;
                bestK = k;
            }
        }
        return bestK;
    }

    @Override
    public synchronized int nextBudget(int max) {
        int limit = Math.min(maxK, max);
        int b = Math.max(1, batchSize.getAsInt());
        int k = best(b, alpha, target, draft, limit);
        if (k == 0 && limit > 0 && couldPay(b, target, draft) && ++roundsOff % PROBE_EVERY == 0) {
            k = 1; // probe, so α stays current — only where a perfect draft could pay at this batch size
        }
        return k;
    }

    /** Whether K = 1 with every draft token accepted would beat batched decoding by the margin at batch size b. */
    static boolean couldPay(int b, CostCurve target, CostCurve draft) {
        return 2.0 * b / (target.micros(2 * b) + draft.micros(b)) > MARGIN * b / target.micros(b);
    }

    @Override
    public synchronized void observe(RoundResult r) {
        int k = r.tree().maxDepth();
        for (int i = 1; i <= Math.min(k, maxK); i++) {
            if (i - 1 > r.accepted()) {
                break; // position i was not reached
            }
            alpha[i] = (1 - W) * alpha[i] + W * (r.accepted() >= i ? 1 : 0);
        }
    }

    /**
     * SpecMemo's memory model for one sequence, in bytes: the target's KV rows for its context plus the
     * speculation's own — {@code maxDraft + 1} rows of tree headroom in the target cache and the draft model's cache
     * for the same context. {@code bytesPerRow} are {@code 2 · layers · kvDim · 4} of each model.
     */
    public static long memoryPerSequence(int context, int maxDraft, long targetBytesPerRow, long draftBytesPerRow) {
        return (long) (context + maxDraft + 1) * targetBytesPerRow + (long) context * draftBytesPerRow;
    }

    @Override
    public String name() {
        return "batch-budget";
    }
}
