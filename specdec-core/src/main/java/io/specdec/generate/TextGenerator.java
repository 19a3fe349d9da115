package io.specdec.generate;

import io.specdec.tokenizer.Tokenizer;
import java.util.function.Consumer;

/**
 * What autoregressive and speculative decoding have in common for a caller: start a streaming {@link Generation}
 * from ids, or use the text conveniences below. Implementations: {@link AutoregressiveGenerator},
 * {@code io.specdec.speculation.SpeculativeDecoder}.
 */
public interface TextGenerator {
    /** Starts a streaming generation from encoded prompt ids (BOS included if wanted); close it when done. */
    Generation start(int[] promptIds);

    /** The tokenizer used for text prompts and output. */
    Tokenizer tokenizer();

    /** Limits and sampling. */
    GenerationConfig config();

    /**
     * Starts a streaming generation (an iterator with {@code cancel()}); close it when done. BOS is prepended when
     * the config and the tokenizer ({@link Tokenizer#addBosByDefault()}) both want it.
     */
    default Generation start(String prompt) {
        return start(tokenizer().encode(prompt, config().addBos() && tokenizer().addBosByDefault()));
    }

    /** Generates to completion. */
    default GenerationResult generate(String prompt) {
        try (Generation g = start(prompt)) {
            return g.result();
        }
    }

    /** Generates, calling {@code onToken} for each token as it is produced. */
    default GenerationResult generate(String prompt, Consumer<GeneratedToken> onToken) {
        try (Generation g = start(prompt)) {
            while (g.hasNext()) {
                onToken.accept(g.next());
            }
            return g.result();
        }
    }
}
