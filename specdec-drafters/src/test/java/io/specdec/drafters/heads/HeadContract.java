package io.specdec.drafters.heads;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.DrafterFactory;
import io.specdec.verify.contract.DrafterContract;
import org.junit.jupiter.api.AfterAll;

/**
 * A head kind through the drafter contract: on the story target the committed heads (random heads where they do not
 * fit, e.g. the embedded demo), on the tiny target heads trained for seconds on its samples; a fixed tree shape.
 */
abstract class HeadContract extends DrafterContract {
    private final TestHeads.Pool pool = new TestHeads.Pool();
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    abstract HeadArchitecture kind();

    /** The drafting shape; null (default): the pool's per-family shape. */
    HeadArchitecture.HeadTree shape() {
        return null;
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return pool.factory(target, TestHeads.forStory(kind(), target, loaded.weights()), shape());
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        try {
            return pool.factory(tinyTarget, TestHeads.trained(kind(),
                    LlamaWeights.random(tinyConfig(), 2024, TINY_SCALE), tmp), shape());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    void closeHeads() {
        pool.close();
    }
}
