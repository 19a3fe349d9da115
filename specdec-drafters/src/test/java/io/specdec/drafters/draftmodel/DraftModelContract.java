package io.specdec.drafters.draftmodel;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.DrafterFactory;
import io.specdec.verify.contract.DrafterContract;
import org.junit.jupiter.api.AfterAll;

/** The draft-model drafter through the drafter contract: draft43K for stories260K (the demo draft for the demo target without the shared folder), a noisy copy for the tiny target. */
abstract class DraftModelContract extends DrafterContract {
    private LlamaModel draft;
    private LlamaModel tinyDraft;
    private io.specdec.tokenizer.Tokenizer draftTokenizer;

    /** Chain or tree, and top-k for trees. */
    abstract DraftModelDrafter.Mode mode();

    int topK() {
        return 1;
    }

    /** Relative noise of the tiny target's draft (its copy with noise). */
    float tinyNoise() {
        return 0.5f;
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        if (draft == null) {
            LoadedModel d = ModelLoader.load(story.draft());
            draft = new LlamaModel(DraftModelDrafter.forContext(d.weights(), target.config().contextLength(),
                    story.draft().getFileName().toString()));
            draftTokenizer = d.tokenizer();
        }
        return DraftModelDrafter.builder().setModel(draft).optTokenizer(draftTokenizer).optMode(mode()).optTopK(topK())
                .build();
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        if (tinyDraft == null) {
            tinyDraft = new LlamaModel(tinyDraftWeights(tinyNoise()));
        }
        return DraftModelDrafter.builder().setModel(tinyDraft).optMode(mode()).optTopK(topK()).build();
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
