package io.specdec.drafters.draftmodel;

import io.specdec.drafters.specdecpp.RandomSpecDec;
import io.specdec.speculation.CandidateLengthController;
import java.util.Set;

/**
 * The draft-model chain under the SpecDec++ threshold controller (random heads, {@link RandomSpecDec}) through the
 * drafter contract: the controller only shortens branches, so greedy identity, the sampling distribution and KV
 * equivalence must hold; the signals carry one row of the draft's hidden state.
 */
class DraftModelSpecDecContractTest extends DraftModelContract {
    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.CHAIN;
    }

    @Override
    protected CandidateLengthController controller() {
        return new RandomSpecDec(Set.of(io.specdec.io.ModelLoader.load(story.draft()).config().dim(), TINY.dim()));
    }
}
