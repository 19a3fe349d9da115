package io.specdec.tokenizer;

/**
 * Text ↔ token ids for one vocabulary. Implementations: {@link SentencePieceBpeTokenizer} (GGUF {@code llama},
 * llama2.c {@code tokenizer.bin}), {@link Gpt2BpeTokenizer} (GGUF {@code gpt2}), {@link HfTokenizer}
 * ({@code tokenizer.json} through DJL's Rust tokenizers). Control tokens written in input text ({@code <|eot_id|>},
 * {@code <|im_start|>}) are plain text unless {@code parseSpecial} is asked for (llama.cpp's {@code parse_special});
 * user-defined added tokens are always matched. BOS is added explicitly with {@code addBos}. Implementations are
 * immutable and thread-safe.
 */
public interface Tokenizer {
    /** Number of token ids this tokenizer can produce (ids are {@code 0..vocabSize-1}). */
    int vocabSize();

    /** Encodes {@code text}; prepends {@link #bosId()} when {@code addBos} and the vocabulary has one. */
    int[] encode(String text, boolean addBos);

    /**
     * Encodes {@code text}, matching the vocabulary's control tokens written in it as single tokens when
     * {@code parseSpecial} (chat templates need this; user text must not get it). The default is for tokenizers
     * without special tokens.
     */
    default int[] encode(String text, boolean addBos, boolean parseSpecial) {
        return encode(text, addBos);
    }

    /**
     * Whether the model expects BOS before a prompt (GGUF {@code tokenizer.ggml.add_bos_token}, else llama.cpp's
     * default for the vocabulary type: SentencePiece yes, byte-level BPE only for Llama-3-style pre-tokenizers).
     * Generation adds BOS when both this and the request ask for it. Default true.
     */
    default boolean addBosByDefault() {
        return true;
    }

    /** The special and added tokens this tokenizer matches in text ({@link SpecialTokens#none()} if none). */
    default SpecialTokens specialTokens() {
        return SpecialTokens.none();
    }

    /**
     * The ids that end a turn or a generation: EOS, and the vocabulary's end-of-turn / end-of-message tokens
     * ({@code <|eot_id|>}, {@code <|im_end|>}, {@code <end_of_turn>}…) where it has them. Never empty when the
     * vocabulary has an EOS.
     */
    default int[] endOfGenerationIds() {
        int[] listed = specialTokens().endOfGeneration();
        int eos = eosId();
        if (eos < 0 || java.util.Arrays.binarySearch(listed, eos) >= 0) {
            return listed;
        }
        int[] all = java.util.Arrays.copyOf(listed, listed.length + 1);
        all[listed.length] = eos;
        java.util.Arrays.sort(all);
        return all;
    }

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
