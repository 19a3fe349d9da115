package io.specdec.bench.testdrafter;

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
                    null), Map.of("repeat-n", "1")).factory();
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
}
