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
 * and K* = argmax over 0..max. The verify of a batch is one forward over all B·(K+1) rows and the draft rounds are
 * K forwards of B rows each (both batched), hence the curves read at total rows. This is SpecMemo's point (Yin et
 * al. 2025: speculation and batching compete for the same compute and memory, so the speculation budget per
 * sequence must shrink with the batch) in the cost-curve form of Sequoia's sizing (ALGORITHMS.md §7); SpecMemo's
 * memory side is {@link #memoryPerSequence}. While K* is 0 it probes with K = 1 every 16 rounds so α stays current.
 * Thread-safe (one instance per request; the batch size comes from the shared batched model).
 */
public final class BatchBudget implements CandidateLengthController {
    private static final double W = 0.1;
    private final IntSupplier batchSize;
    private final CostCurve target;
    private final CostCurve draft;
    private final int maxK;
    private final double[] alpha;
    private int roundsOff;

    /**
     * @param batchSize sequences in the current round of the target's batched model ({@code >= 1} used)
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
        java.util.Arrays.fill(alpha, 0.6);
    }

    /** K* for {@code b} sequences with acceptance estimates {@code alpha[1..]}, at most {@code limit}. */
    static int best(int b, double[] alpha, CostCurve target, CostCurve draft, int limit) {
        double bestRate = b / target.micros(b);
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
        int k = best(Math.max(1, batchSize.getAsInt()), alpha, target, draft, limit);
        if (k == 0 && limit > 0 && ++roundsOff % 16 == 0) {
            k = 1; // probe
        }
        return k;
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
