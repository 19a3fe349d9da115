package io.specdec.drafters.heads;

/** Medusa heads through the drafter contract ({@link HeadContract}). */
class MedusaContractTest extends HeadContract {
    @Override
    HeadArchitecture kind() {
        return new MedusaHeads();
    }
}
