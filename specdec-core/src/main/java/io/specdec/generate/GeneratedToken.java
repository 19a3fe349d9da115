package io.specdec.generate;

/**
 * One generated token as streamed.
 *
 * @param id token id
 * @param text text that became complete with this token (may be empty: a multi-byte character or a possible stop
 *     string prefix is held back until resolved)
 * @param index 0-based index among generated tokens
 * @param logprobs the target's log-probabilities at this position when the config asks for them
 *     ({@link GenerationConfig#logprobs()} &gt; 0), else null
 */
public record GeneratedToken(int id, String text, int index, TokenLogprobs logprobs) {
    /** A token without log-probabilities. */
    public GeneratedToken(int id, String text, int index) {
        this(id, text, index, null);
    }
}
