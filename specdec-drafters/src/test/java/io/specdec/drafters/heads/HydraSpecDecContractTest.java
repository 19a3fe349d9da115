package io.specdec.drafters.heads;

import io.specdec.drafters.specdecpp.RandomSpecDec;
import io.specdec.speculation.CandidateLengthController;
import java.util.Set;

/**
 * Hydra heads under the SpecDec++ threshold controller (random heads, {@link RandomSpecDec}) through the drafter
 * contract: the loop drops branches by the head's verdicts on the tree, and greedy identity, the sampling
 * distribution and KV equivalence must still hold.
 */
class HydraSpecDecContractTest extends HydraContractTest {
    @Override
    protected CandidateLengthController controller() {
        return new RandomSpecDec(Set.of(stories.config().dim(), tinyConfig().dim()));
    }
}
