package io.specdec.drafters.heads;

/** Hydra heads through the drafter contract ({@link HeadContract}). */
class HydraContractTest extends HeadContract {
    @Override
    HeadArchitecture kind() {
        return new HydraHeads();
    }
}
