package io.specdec.drafters.s2d;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.DrafterFactory;
import io.specdec.verify.contract.DrafterContract;
import org.junit.jupiter.api.AfterAll;

/**
 * S2D's per-step exit through the drafter contract (greedy identity, the sampled distribution, KV equivalence): the
 * nested draft is the target's own layers with exits after 2 layers and after all of them (the story target), after 1
 * and 3 layers (a 3-layer tiny target), confidence 0.5 — so some tokens come from the shallow exit, whose distribution
 * differs from the target's, and the deep layers of those tokens are computed later.
 */
class NestedExitContractTest extends DrafterContract {
    static final LlamaConfig TINY3 = new LlamaConfig(16, 32, 3, 2, 1, 8, 16, 32, 1e-5f, 10000f, false, false, 1, 2);
    private NestedExitDrafter.Segments story;
    private NestedExitDrafter.Segments tiny;

    @Override
    protected LlamaConfig tinyConfig() {
        return TINY3;
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        if (story == null) {
            int layers = loaded.weights().config().layers();
            story = new NestedExitDrafter.Segments(loaded.weights(), new int[] {Math.min(2, layers - 1), layers});
        }
        return NestedExitDrafter.factory(story, 0.5f, null);
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        if (tiny == null) {
            tiny = new NestedExitDrafter.Segments(LlamaWeights.random(TINY3, 2024, TINY_SCALE), new int[] {1, 3});
        }
        return NestedExitDrafter.factory(tiny, 0.5f, null);
    }

    @AfterAll
    void closeSegments() {
        if (story != null) {
            story.close();
        }
        if (tiny != null) {
            tiny.close();
        }
    }
}
