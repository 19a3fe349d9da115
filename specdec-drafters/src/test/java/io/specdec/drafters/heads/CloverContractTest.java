package io.specdec.drafters.heads;

/** Clover heads through the drafter contract ({@link HeadContract}). */
class CloverContractTest extends HeadContract {
    @Override
    HeadArchitecture kind() {
        return new CloverHeads();
    }
}
