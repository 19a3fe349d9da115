package io.specdec.drafters.draftmodel;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.spec.DrafterFactory;
import io.specdec.testing.SharedAssets;
import io.specdec.verify.contract.DrafterContract;
import org.junit.jupiter.api.AfterAll;

/** The draft-model drafter, chain mode (sampled from q when sampling), through the drafter contract. */
class DraftModelChainContractTest extends DrafterContract {
    private LlamaModel draft;
    private LlamaModel tinyDraft;

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        if (draft == null) {
            LoadedModel d = ModelLoader.load(SharedAssets.require("models/draft43K.gguf"));
            DraftModelDrafter.checkCompatible(loaded.tokenizer(), d.tokenizer(), target, draft = new LlamaModel(
                    d.weights().withContextLength(target.config().contextLength())));
        }
        return DraftModelDrafter.factory(draft, DraftModelDrafter.Mode.CHAIN, 1);
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        if (tinyDraft == null) {
            tinyDraft = new LlamaModel(tinyDraftWeights(0.5f));
        }
        return DraftModelDrafter.factory(tinyDraft, DraftModelDrafter.Mode.CHAIN, 1);
    }

    @AfterAll
    void closeDrafts() {
        if (draft != null) {
            draft.close();
        }
        if (tinyDraft != null) {
            tinyDraft.close();
        }
    }
}
