package io.specdec.spec;

import io.specdec.sampling.LogitsProcessor;
import io.specdec.sampling.SamplingConfig;
import java.util.SplittableRandom;

/**
 * What a drafter sees when proposing: the sequence so far (prompt and emitted tokens; the last one is the root of
 * the next tree and not yet in the target's cache), the request's sampling config and its one shared logits
 * processor chain (the drafter must form {@code q} with it), the request's seeded RNG, the node budget granted by
 * the controller, and the controller itself for per-token stop decisions.
 *
 * @param tokens the sequence; only the first {@code length} entries are valid
 * @param length valid entries
 * @param sampling the request's sampling config ({@link SamplingConfig#isGreedy()} → deterministic drafts)
 * @param processor the shared logits processor chain
 * @param rng the request's RNG
 * @param budget maximum nodes (for chains: tokens) to propose, {@code >= 1}
 * @param controller consulted after every drafted token; may stop drafting early
 */
public record DraftContext(int[] tokens, int length, SamplingConfig sampling, LogitsProcessor processor,
        SplittableRandom rng, int budget, CandidateLengthController controller) {
    /** The last token (the root of the tree to propose). */
    public int lastToken() {
        return tokens[length - 1];
    }
}
