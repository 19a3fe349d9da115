package io.specdec.drafters.heads;

/** Eagle heads through the drafter contract ({@link HeadContract}). */
class EagleContractTest extends HeadContract {
    @Override
    HeadKind kind() {
        return HeadKind.EAGLE;
    }
}
