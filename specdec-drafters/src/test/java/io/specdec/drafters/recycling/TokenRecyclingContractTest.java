package io.specdec.drafters.recycling;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.verify.contract.DrafterContract;

/** Token Recycling with the paper's 80-node template through the drafter contract (matrix shared across requests). */
class TokenRecyclingContractTest extends DrafterContract {
    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return TokenRecyclingDrafter.factory(new AdjacencyMatrix(target.config().vocabSize(), 8), TreeTemplate.paper());
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return TokenRecyclingDrafter.factory(new AdjacencyMatrix(16, 8), TreeTemplate.paper());
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(80);
    }
}
