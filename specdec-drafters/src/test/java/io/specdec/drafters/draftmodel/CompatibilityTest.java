package io.specdec.drafters.draftmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.GenerationConfig;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.verify.Speculation;
import org.junit.jupiter.api.Test;

/**
 * Draft and target must share a vocabulary: the decoder itself compares the draft's whole token table with the
 * target's (not only its size), and a short-context draft is a clear error, never a silent empty draft.
 */
class CompatibilityTest {
    private static final LlamaConfig A = new LlamaConfig(16, 32, 1, 2, 1, 8, 16, 32, 1e-5f, 10000f, true, false, 1, 2);

    private static SentencePieceBpeTokenizer vocab(int n, String variant) {
        String[] p = new String[n];
        for (int i = 0; i < n; i++) {
            p[i] = i == 5 ? variant : "t" + i;
        }
        return new SentencePieceBpeTokenizer(p, new float[n], null, 1, 2, 0, true);
    }

    private static SpeculativeDecoder decoder(LlamaModel target, LlamaModel draft, SentencePieceBpeTokenizer tt,
            SentencePieceBpeTokenizer dt, int maxTokens) {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens).optStopAtEos(false).build();
        return Speculation.decoder(target, tt, DraftModelDrafter.builder().setModel(draft).optTokenizer(dt).build(),
                cfg).build();
    }

    @Test
    void mismatchedVocabulariesAreRejectedByTheDecoder() {
        LlamaConfig b = new LlamaConfig(16, 32, 1, 2, 1, 8, 20, 32, 1e-5f, 10000f, true, false, 1, 2);
        try (LlamaModel ma = new LlamaModel(LlamaWeights.random(A, 1, 0.1f));
                LlamaModel mb = new LlamaModel(LlamaWeights.random(b, 1, 0.1f))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> decoder(ma, mb, vocab(16, "x"), vocab(20, "x"), 4).generate("t3"));
            assertTrue(e.getMessage().contains("20") && e.getMessage().contains("16"), e.getMessage());
            // same size, two tokens differ: caught by the decoder, not only by the CLI
            e = assertThrows(IllegalArgumentException.class,
                    () -> decoder(ma, ma, vocab(16, "x"), vocab(16, "y"), 4).generate("t3"));
            assertTrue(e.getMessage().contains("token 5"), e.getMessage());
            assertEquals(4, decoder(ma, ma, vocab(16, "x"), vocab(16, "x"), 4).generate("t3").ids().length);
        }
    }

    @Test
    void shortContextDraftFailsClearlyOrIsExtended() {
        LlamaConfig longCtx = A.withContextLength(256);
        LlamaWeights draftWeights = LlamaWeights.random(A.withContextLength(16), 3, 0.1f);
        try (LlamaModel target = new LlamaModel(LlamaWeights.random(longCtx, 1, 0.1f));
                LlamaModel shortDraft = new LlamaModel(draftWeights)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> decoder(target, shortDraft, vocab(16, "x"), vocab(16, "x"), 40).generate("t3"));
            assertTrue(e.getMessage().contains("draft model context 16"), e.getMessage());
            try (LlamaModel extended = new LlamaModel(DraftModelDrafter.forContext(draftWeights, 256, "test"))) {
                var r = decoder(target, extended, vocab(16, "x"), vocab(16, "x"), 40).generate("t3");
                assertEquals(40, r.ids().length);
                assertTrue(r.speculation().drafted() > 0, "the extended draft proposes tokens");
            }
        }
    }
}
