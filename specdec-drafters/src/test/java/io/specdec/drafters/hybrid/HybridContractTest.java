package io.specdec.drafters.hybrid;

import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TreeTemplate;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.LengthControllers;
import io.specdec.verify.contract.DrafterContract;
import java.util.List;

/** Prompt lookup + Token Recycling merged under one 32-node budget, through the drafter contract. */
class HybridContractTest extends DrafterContract {
    private static DrafterFactory hybrid(int vocab) {
        return HybridDrafter.of(List.of(PromptLookupDrafter.builder().setVocabSize(vocab).build(),
                TokenRecyclingDrafter.builder().setMatrix(new AdjacencyMatrix(vocab, 8)).optTemplate(TreeTemplate.paper())
                        .build()));
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
