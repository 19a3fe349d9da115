package io.specdec.speculation;

import io.specdec.sampling.LogitsProcessor;
import io.specdec.sampling.SamplingConfig;
import java.util.SplittableRandom;

/**
 * What a drafter sees when proposing: the sequence so far (prompt and emitted tokens; the last one is the root of
 * the next tree and not yet in the target's cache), the request's sampling config and its one shared logits
 * processor chain (the drafter must form {@code q} with it), the request's seeded RNG, the node budget granted by
 * the controller, and the controller (the loop applies its verdicts to every proposal, {@link DraftGate}; a drafter
 * that drafts token by token asks {@link #gate()} to stop early).
 *
 * @param tokens the sequence; only the first {@code length} entries are valid
 * @param length valid entries
 * @param sampling the request's sampling config ({@link SamplingConfig#isGreedy()} → deterministic drafts)
 * @param processor the shared logits processor chain
 * @param rng the request's RNG
 * @param budget maximum nodes (for chains: tokens) to propose, {@code >= 1}
 * @param controller the request's length controller (null: none)
 */
public record DraftContext(int[] tokens, int length, SamplingConfig sampling, LogitsProcessor processor,
        SplittableRandom rng, int budget, CandidateLengthController controller) {
    /** A fresh chain gate: the controller's verdict on each token as it is drafted (depth 1, 2, …). */
    public DraftGate.Chain gate() {
        return new DraftGate.Chain(controller);
    }

    /** The last token (the root of the tree to propose). */
    public int lastToken() {
        return tokens[length - 1];
    }

    /** Whether drafts are point masses (greedy requests) rather than samples from {@code q}. */
    public boolean greedy() {
        return sampling.isGreedy();
    }

    /**
     * The draft distribution {@code q} for a chain token: the request's processors on {@code logits} with
     * {@code history[0, historyLength)}, then softmax (one-hot at the argmax for greedy requests).
     */
    public float[] chainDistribution(float[] logits, int[] history, int historyLength) {
        return io.specdec.sampling.TokenSampler.distribution(logits, history, historyLength, processor, greedy());
    }

    /** The chain token drawn from {@code q}: its argmax for greedy requests, else a sample with the request's RNG. */
    public int pick(float[] q) {
        return greedy() ? io.specdec.sampling.Distributions.argmax(q) : io.specdec.sampling.Distributions.sample(q, rng);
    }

    /**
     * The {@link DraftSignals} of a chain token drawn from {@code q} ({@link #chainDistribution}): for greedy requests
     * from the processed softmax of {@code logits} (a point mass has no confidence), else from {@code q}.
     */
    public DraftSignals signals(float[] logits, float[] q, int[] history, int historyLength, int token,
            float[] features) {
        float[] soft = greedy()
                ? io.specdec.sampling.TokenSampler.distribution(logits, history, historyLength, processor, false) : q;
        return DraftSignals.of(soft, token, features);
    }

    /** What a chain node stores as its {@code q}: null (point mass) for greedy requests, else {@code q}. */
    public float[] stored(float[] q) {
        return greedy() ? null : q;
    }
}
