package io.specdec.tokenizer;

/**
 * Text ↔ token ids for one vocabulary. Implementations: {@link SentencePieceBpeTokenizer} (GGUF {@code llama},
 * llama2.c {@code tokenizer.bin}), {@link Gpt2BpeTokenizer} (GGUF {@code gpt2}), {@link HfTokenizer}
 * ({@code tokenizer.json} through DJL's Rust tokenizers). Special tokens in input text are treated as plain text;
 * BOS is added explicitly with {@code addBos}. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {
    /** Number of token ids this tokenizer can produce (ids are {@code 0..vocabSize-1}). */
    int vocabSize();

    /** Encodes {@code text}; prepends {@link #bosId()} when {@code addBos} and the vocabulary has one. */
    int[] encode(String text, boolean addBos);

    /** Decodes ids to text, dropping control tokens (BOS/EOS/padding). */
    String decode(int[] ids);

    /**
     * The bytes token {@code id} contributes to the text when it follows {@code prevId} (-1 at the start). Streaming
     * decoders concatenate these and emit only complete UTF-8 sequences.
     */
    byte[] tokenBytes(int prevId, int id);

    /** The vocabulary entry of {@code id} as stored (e.g. "▁the", "<0x0A>", "Ġthe"). */
    String piece(int id);

    /** Beginning-of-sequence id, or -1. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();
}
