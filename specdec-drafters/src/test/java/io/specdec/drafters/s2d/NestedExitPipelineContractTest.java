package io.specdec.drafters.s2d;

/**
 * S2D's per-step exit with LLMCad's pipeline on: the nested-exit drafter says it supports lookahead (its caches
 * follow the sequence by longest common prefix, deferred deep rows included), so the whole drafter contract — greedy
 * identity, the sampled distribution, KV equivalence — runs again with the next round drafted during verification.
 */
class NestedExitPipelineContractTest extends NestedExitContractTest {
    @Override
    protected boolean pipeline() {
        return true;
    }
}
