package io.specdec.verify;

import io.specdec.generate.GenerationConfig;
import io.specdec.model.CausalLM;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.Tokenizer;

/**
 * Lossless defaults for {@link SpeculativeDecoder}: a {@link TreeVerifier} over the target, and the policy chosen
 * from the request's sampling when the decoder is built — {@link GreedyAcceptance} for greedy requests,
 * {@link RejectionSampling} when sampling.
 */
public final class Speculation {
    private Speculation() {}

    /** The lossless policy for a sampling config: greedy when greedy, else rejection sampling. */
    public static AcceptancePolicy losslessPolicy(SamplingConfig sampling) {
        return sampling.isGreedy() ? new GreedyAcceptance() : new RejectionSampling();
    }

    /** A builder preset with the target's verifier and {@code config}; the policy follows the final config. */
    public static SpeculativeDecoder.Builder decoder(CausalLM target, Tokenizer tokenizer, DrafterFactory drafter,
            GenerationConfig config) {
        return SpeculativeDecoder.builder().setVerifier(TreeVerifier.factory(target)).setTokenizer(tokenizer)
                .setDrafter(drafter).optConfig(config);
    }
}
