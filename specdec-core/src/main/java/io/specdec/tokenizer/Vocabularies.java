package io.specdec.tokenizer;

/** Checks that two tokenizers share one vocabulary (same size, the same piece at every id); fingerprints tables. */
public final class Vocabularies {
    private Vocabularies() {}

    /**
     * Throws {@link IllegalArgumentException} naming the first difference between the {@code target}'s and the
     * {@code draft}'s token tables; speculation with different tables would verify the wrong tokens.
     */
    public static void requireSame(Tokenizer target, Tokenizer draft) {
        if (target == draft) {
            return;
        }
        if (target.vocabSize() != draft.vocabSize()) {
            throw new IllegalArgumentException("draft/target vocabulary mismatch: draft tokenizer has "
                    + draft.vocabSize() + " tokens, target " + target.vocabSize());
        }
        for (int i = 0; i < target.vocabSize(); i++) {
            if (!target.piece(i).equals(draft.piece(i))) {
                throw new IllegalArgumentException("draft/target vocabulary mismatch at token " + i + ": target '"
                        + target.piece(i) + "', draft '" + draft.piece(i) + "'");
            }
        }
    }

    /**
     * A 32-bit fingerprint of {@code t}'s token table (FNV-1a over the size and every piece's UTF-8 bytes, in id
     * order), never 0 — 0 means "unknown" where a file stores one. Equal tables give equal fingerprints; different
     * ones differ with probability 1 - 2^-32.
     */
    public static int fingerprint(Tokenizer t) {
        int h = 0x811C9DC5;
        int n = t.vocabSize();
        for (int shift = 0; shift < 32; shift += 8) {
            h = (h ^ ((n >>> shift) & 0xFF)) * 0x01000193;
        }
        for (int i = 0; i < n; i++) {
            for (byte b : t.piece(i).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xFF)) * 0x01000193;
            }
            h = (h ^ 0xFF) * 0x01000193; // separator: 0xFF never occurs in UTF-8
        }
        return h == 0 ? 1 : h;
    }
}
