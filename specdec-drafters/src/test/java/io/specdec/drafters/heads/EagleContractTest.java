package io.specdec.drafters.heads;

/** Eagle heads through the drafter contract ({@link HeadContract}). */
class EagleContractTest extends HeadContract {
    @Override
    HeadArchitecture kind() {
        return new EagleHeads();
    }
}
