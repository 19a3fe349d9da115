package io.specdec.drafters.draftmodel;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.LengthControllers;

/** Tree mode: top-3 expansion under an 8-node budget, point-mass candidates. */
class DraftModelTreeContractTest extends DraftModelContract {
    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.TREE;
    }

    @Override
    int topK() {
        return 3;
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(8);
    }
}
