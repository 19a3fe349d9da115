package io.specdec.speculation;

import io.specdec.model.CausalLM;
import io.specdec.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a {@link DrafterProvider} may use to build a drafter for one target.
 *
 * @param target the target model (early exit drafts with its first layers; heads read its embedding and LM head)
 * @param tokenizer the target's tokenizer
 * @param calibrationPrompts prompts a drafter may run to size itself ({@code auto} options); may be empty
 * @param cacheDir where measured cost curves are cached
 * @param log one-line notes for the user (sizing results, context extension)
 * @param batching whether generations run under continuous batching: a drafter with a model of its own then runs it
 *     through an {@link io.specdec.model.BatchedModel}, so the sequences' draft forwards are batched too
 */
public record DrafterEnvironment(CausalLM target, Tokenizer tokenizer, List<String> calibrationPrompts, Path cacheDir,
        Consumer<String> log, boolean batching) {
    /** Without continuous batching. */
    public DrafterEnvironment(CausalLM target, Tokenizer tokenizer, List<String> calibrationPrompts, Path cacheDir,
            Consumer<String> log) {
        this(target, tokenizer, calibrationPrompts, cacheDir, log, false);
    }

    public DrafterEnvironment {
        calibrationPrompts = List.copyOf(calibrationPrompts);
        java.util.Objects.requireNonNull(target, "target");
        java.util.Objects.requireNonNull(tokenizer, "tokenizer");
        log = log == null ? s -> {} : log;
    }

    /** The target's vocabulary size. */
    public int vocabSize() {
        return target.config().vocabSize();
    }
}
