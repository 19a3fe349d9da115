package io.specdec.drafters.heads;

import org.junit.jupiter.api.Test;

/**
 * EAGLE heads drafting chains with LLMCad's pipeline on: the lookahead drafts from the layer's own predicted features
 * of the chain under verification (the target's arrive only after it). The whole drafter contract — greedy identity,
 * the sampled distribution, KV equivalence — runs with the pipeline, and on the story target lookaheads are used
 * while every greedy output stays the target's own.
 */
class EaglePipelineContractTest extends HeadContract {
    @Override
    HeadArchitecture kind() {
        return new EagleHeads();
    }

    @Override
    HeadArchitecture.HeadTree shape() {
        return HeadArchitecture.HeadTree.dynamic(4, 1, 4); // a chain of 4
    }

    @Override
    protected boolean pipeline() {
        return true;
    }

    @Test
    void lookaheadsAreUsedAndGreedyStaysAutoregressive() {
        assertLookaheadsUsedAndGreedyAutoregressive(3);
    }
}
