package io.specdec.drafters.hybrid;

import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TreeTemplate;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.verify.contract.DrafterContract;
import java.util.List;

/** Prompt lookup + Token Recycling merged under one 32-node budget, through the drafter contract. */
class HybridContractTest extends DrafterContract {
    private static DrafterFactory hybrid(int vocab) {
        return HybridDrafter.factory(List.of(PromptLookupDrafter.factory(vocab),
                TokenRecyclingDrafter.factory(new AdjacencyMatrix(vocab, 8), TreeTemplate.paper())));
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return hybrid(target.config().vocabSize());
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return hybrid(16);
    }

    @Override
    protected int[] tinyPrompt() {
        return new int[] {1, 5, 6, 7, 5, 6, 7, 5};
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(32);
    }
}
