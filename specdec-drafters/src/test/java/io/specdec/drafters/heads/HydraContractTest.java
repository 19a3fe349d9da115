package io.specdec.drafters.heads;

/** Hydra heads through the drafter contract ({@link HeadContract}). */
class HydraContractTest extends HeadContract {
    @Override
    HeadKind kind() {
        return HeadKind.HYDRA;
    }
}
