package io.specdec.generate;

/**
 * One generated token as streamed.
 *
 * @param id token id
 * @param text text that became complete with this token (may be empty: a multi-byte character or a possible stop
 *     string prefix is held back until resolved)
 * @param index 0-based index among generated tokens
 */
public record GeneratedToken(int id, String text, int index) {}
