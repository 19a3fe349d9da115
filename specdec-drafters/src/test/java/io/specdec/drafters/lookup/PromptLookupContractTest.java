package io.specdec.drafters.lookup;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.verify.contract.DrafterContract;

/** Prompt lookup (multi-match tree, 3 matches) through the drafter contract; the tiny prompt repeats itself. */
class PromptLookupContractTest extends DrafterContract {
    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return PromptLookupDrafter.factory(target.config().vocabSize(), 3, 1, 10, 3);
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return PromptLookupDrafter.factory(16, 3, 1, 10, 3);
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
