package io.specdec.drafters.draftmodel;

/** Chain mode: sampled from q when sampling, argmax (point mass) when greedy; static K = 4. */
class DraftModelChainContractTest extends DraftModelContract {
    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.CHAIN;
    }
}
