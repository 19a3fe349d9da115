package io.specdec.drafters.draftmodel;

import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.LengthControllers;

/**
 * Tree mode: the dynamic tree with top-3 expansion under an 8-node budget, point-mass candidates. The tiny target's
 * draft is a closer copy (noise 0.25) than the chain's: at T = 0.7 / top-p 0.9 the 0.5-noise copy's mode differs from
 * the target's on the 3-token requests (2-node rounds), and the dynamic tree spends both nodes on the draft's own
 * chain (9 → 11) rather than on a second root child, so nothing would be accepted and the distribution test would
 * not exercise acceptance.
 */
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
    float tinyNoise() {
        return 0.25f;
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(8);
    }
}
