package io.specdec.speculation;

import io.specdec.model.TargetView;
import io.specdec.sampling.SamplingConfig;

/**
 * Creates a {@link Verifier} (and its target KV cache of {@code capacity} positions) for one request, and knows the
 * lossless acceptance policy for a sampling config (the verify module owns the policies).
 */
public interface VerifierFactory {
    /** A verifier with a fresh target cache of {@code capacity} positions. */
    Verifier create(int capacity);

    /** Context length of the target (the capacity upper bound). */
    int contextLength();

    /** The target's read-only parts. */
    TargetView target();

    /** The lossless policy for requests sampled with {@code sampling} (greedy or rejection sampling). */
    AcceptancePolicy losslessPolicy(SamplingConfig sampling);
}
