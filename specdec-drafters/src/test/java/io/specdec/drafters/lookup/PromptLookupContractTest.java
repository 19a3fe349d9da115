package io.specdec.drafters.lookup;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.LengthControllers;
import io.specdec.verify.contract.DrafterContract;

/** Prompt lookup (multi-match tree, 3 matches) through the drafter contract; the tiny prompt repeats itself. */
class PromptLookupContractTest extends DrafterContract {
    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return PromptLookupDrafter.builder().setVocabSize(target.config().vocabSize()).optMaxMatches(3).build();
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return PromptLookupDrafter.builder().setVocabSize(16).optMaxMatches(3).build();
    }

    @Override
    protected int[] tinyPrompt() {
        return new int[] {1, 5, 6, 7, 5, 6, 7, 5};
    }

    @Override
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(10);
    }
}
