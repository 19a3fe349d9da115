package io.specdec.tokenizer;

/** Checks that two tokenizers share one vocabulary (same size, the same piece at every id). */
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
}
