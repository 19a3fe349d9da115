package io.specdec.drafters.s2d;

import org.junit.jupiter.api.Test;

/**
 * S2D's per-step exit with LLMCad's pipeline on: the nested-exit drafter says it supports lookahead (its caches
 * follow the sequence by longest common prefix, deferred deep rows included), so the whole drafter contract — greedy
 * identity, the sampled distribution, KV equivalence — runs again with the next round drafted during verification,
 * and on the story target lookaheads are used while every greedy output stays the target's own.
 */
class NestedExitPipelineContractTest extends NestedExitContractTest {
    @Override
    protected boolean pipeline() {
        return true;
    }

    @Test
    void lookaheadsAreUsedAndGreedyStaysAutoregressive() {
        assertLookaheadsUsedAndGreedyAutoregressive(3);
    }
}
