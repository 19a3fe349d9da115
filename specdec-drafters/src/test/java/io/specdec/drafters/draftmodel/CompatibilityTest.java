package io.specdec.drafters.draftmodel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import org.junit.jupiter.api.Test;

/** Draft and target must share a vocabulary; a mismatch is a clear error naming the difference. */
class CompatibilityTest {
    private static SentencePieceBpeTokenizer vocab(int n, String variant) {
        String[] p = new String[n];
        for (int i = 0; i < n; i++) {
            p[i] = i == 5 ? variant : "t" + i;
        }
        return new SentencePieceBpeTokenizer(p, new float[n], null, 1, 2, 0, true);
    }

    @Test
    void mismatchedVocabulariesAreRejected() {
        LlamaConfig a = new LlamaConfig(16, 32, 1, 2, 1, 8, 16, 32, 1e-5f, 10000f, true, false, 1, 2);
        LlamaConfig b = new LlamaConfig(16, 32, 1, 2, 1, 8, 20, 32, 1e-5f, 10000f, true, false, 1, 2);
        try (LlamaModel ma = new LlamaModel(LlamaWeights.random(a, 1, 0.1f));
                LlamaModel mb = new LlamaModel(LlamaWeights.random(b, 1, 0.1f))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DraftModelDrafter.checkCompatible(vocab(16, "x"), vocab(20, "x"), ma, mb));
            assertTrue(e.getMessage().contains("20") && e.getMessage().contains("16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> DraftModelDrafter.checkCompatible(vocab(16, "x"), vocab(16, "y"), ma, ma));
            assertTrue(e.getMessage().contains("token 5"), e.getMessage());
            DraftModelDrafter.checkCompatible(vocab(16, "x"), vocab(16, "x"), ma, ma);
        }
    }
}
