package io.specdec.drafters.draftmodel;

import io.specdec.speculation.BatchBudget;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.CostCurve;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The draft-model chain under {@link BatchBudget} through the drafter contract, with a batch size that changes every
 * round (1, 2, 4, …, 16, then again) and a cost curve whose shape makes the chosen K move between 0 (plain decoding)
 * and 4 as it does: greedy identity, the sampling distribution and KV equivalence must hold whatever K each round
 * gets.
 */
class DraftModelBatchBudgetContractTest extends DraftModelContract {
    /**
     * c(rows) in µs for {@link CostCurve#SIZES}: flat to 8 rows, then linear — speculation pays at B ≤ 4 and not at
     * B = 16.
     */
    private static final CostCurve TARGET = CostCurve.of(new double[] {100, 100, 100, 100, 100, 100, 150, 200, 300,
        400, 600, 800});
    private static final CostCurve DRAFT = CostCurve.of(new double[] {5, 5, 5, 5, 6, 7, 9, 11, 15, 19, 27, 35});

    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.CHAIN;
    }

    @Override
    protected CandidateLengthController controller() {
        AtomicInteger round = new AtomicInteger();
        int[] sizes = {1, 2, 4, 8, 16};
        return new BatchBudget(() -> sizes[round.getAndIncrement() % sizes.length], TARGET, DRAFT, 4);
    }
}
