package io.specdec.drafters.earlyexit;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.DrafterFactory;
import io.specdec.verify.contract.DrafterContract;

/** DEL's dynamic exit layer and length (with a 0.3 confidence stop) through the drafter contract. */
class EarlyExitDynamicContractTest extends DrafterContract {
    @Override
    protected LlamaConfig tinyConfig() {
        return EarlyExitFixedContractTest.TINY3;
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return EarlyExitDrafter.builder().setTarget(target).optConfidence(0.3f).build();
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return EarlyExitDrafter.builder().setTarget(tinyTarget).optConfidence(0f).build();
    }
}
