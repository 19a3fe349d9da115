package io.specdec.drafters.recycling;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.LengthControllers;
import io.specdec.verify.contract.DrafterContract;

/** Token Recycling with the paper's 80-node template through the drafter contract (matrix shared across requests). */
class TokenRecyclingContractTest extends DrafterContract {
    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return TokenRecyclingDrafter.builder().setMatrix(new AdjacencyMatrix(target.config().vocabSize(), 8))
                .optTemplate(TreeTemplate.paper()).build();
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return TokenRecyclingDrafter.builder().setMatrix(new AdjacencyMatrix(16, 8)).optTemplate(TreeTemplate.paper())
                .build();
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(80);
    }
}
