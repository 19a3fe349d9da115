package io.specdec.spec;

/** Creates a {@link Verifier} (and its target KV cache of {@code capacity} positions) for one request. */
@FunctionalInterface
public interface VerifierFactory {
    Verifier create(int capacity);

    /** Context length of the target (the capacity upper bound). */
    default int contextLength() {
        return Integer.MAX_VALUE;
    }
}
