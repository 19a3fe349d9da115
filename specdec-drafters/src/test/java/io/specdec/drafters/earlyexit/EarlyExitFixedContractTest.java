package io.specdec.drafters.earlyexit;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.DrafterFactory;
import io.specdec.verify.contract.DrafterContract;

/**
 * LayerSkip-style fixed exit through the drafter contract: the story target exits one layer early (layer 4 of 5 on
 * stories260K), the tiny target at layer 2 of 3.
 */
class EarlyExitFixedContractTest extends DrafterContract {
    static final LlamaConfig TINY3 = new LlamaConfig(16, 32, 3, 2, 1, 8, 16, 32, 1e-5f, 10000f, false, false, 1, 2);

    @Override
    protected LlamaConfig tinyConfig() {
        return TINY3;
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return EarlyExitDrafter.builder().setTarget(target).optExitLayer(target.config().layers() - 1).optConfidence(0f).build();
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return EarlyExitDrafter.builder().setTarget(tinyTarget).optExitLayer(2).optConfidence(0f).build();
    }
}
