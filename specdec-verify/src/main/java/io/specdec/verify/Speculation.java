package io.specdec.verify;

import io.specdec.generate.GenerationConfig;
import io.specdec.model.CausalLM;
import io.specdec.spec.AcceptancePolicy;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.SpeculativeDecoder;
import io.specdec.tokenizer.Tokenizer;

/**
 * Lossless defaults for {@link SpeculativeDecoder}: a {@link TreeVerifier} over the target and
 * {@link GreedyAcceptance} for greedy requests or {@link RejectionSampling} when sampling.
 */
public final class Speculation {
    private Speculation() {}

    /** The lossless policy for a request: greedy when the sampling config is greedy, else rejection sampling. */
    public static AcceptancePolicy losslessPolicy(GenerationConfig config) {
        return config.sampling().isGreedy() ? new GreedyAcceptance() : new RejectionSampling();
    }

    /** A builder preset with the target's verifier and the lossless policy for {@code config}. */
    public static SpeculativeDecoder.Builder decoder(CausalLM target, Tokenizer tokenizer, DrafterFactory drafter,
            GenerationConfig config) {
        return SpeculativeDecoder.builder().setVerifier(TreeVerifier.factory(target)).setTokenizer(tokenizer)
                .setDrafter(drafter).setPolicy(losslessPolicy(config)).optConfig(config);
    }
}
