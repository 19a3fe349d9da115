package io.specdec.cli.testdrafter;

import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.Drafters;
import io.specdec.verify.contract.DrafterContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The test-only drafter, built through the registry, passes the same contract as every shipped drafter. */
class RepeatLastContractTest extends DrafterContract {
    private static DrafterFactory viaRegistry(LlamaModel target, io.specdec.tokenizer.Tokenizer tok) {
        try {
            return Drafters.create("repeat-last", new DrafterEnvironment(target, tok, List.of(), Path.of("target"),
                    null), Map.of("repeat-n", "2")).factory();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    protected DrafterFactory drafter(LlamaModel target, LoadedModel loaded) {
        return viaRegistry(target, loaded.tokenizer());
    }

    @Override
    protected DrafterFactory tinyDrafter(LlamaModel tinyTarget) {
        return viaRegistry(tinyTarget, tinyTokenizer());
    }

    /**
     * A prompt where repeating is plausible for the random tiny target, so the distribution test sees acceptances:
     * {@code [BOS, a, b, a, b]} (the drafter proposes {@code a, b} again) for the pair whose continuation {@code a}
     * the target finds most likely.
     */
    @Override
    protected int[] tinyPrompt() {
        int[] best = null;
        float bestP = -1;
        for (int a = 3; a < 16; a++) {
            for (int b = 3; b < 16; b++) {
                int[] p = {1, a, b, a, b};
                try (io.specdec.model.KvCache c = tinyTarget.newCache(p.length)) {
                    float[] q = io.specdec.sampling.Distributions.softmax(tinyTarget.forward(c, p,
                            io.specdec.model.ForwardOptions.LAST_ROW).row(0));
                    if (q[a] > bestP) {
                        bestP = q[a];
                        best = p;
                    }
                }
            }
        }
        return best;
    }
}
