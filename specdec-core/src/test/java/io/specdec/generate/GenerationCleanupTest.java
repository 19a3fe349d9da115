package io.specdec.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.sampling.SamplingConfig;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A generation frees its step (the KV caches) on every path — a step that throws, a cancel without close, the
 * convenience methods, abandonment — and exactly once.
 */
class GenerationCleanupTest {
    private static Tokenizer tok() {
        String[] p = new String[8];
        for (int i = 0; i < 8; i++) {
            p[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "t" + i;
        }
        return new SentencePieceBpeTokenizer(p, new float[8], null, 1, 2, 0, true);
    }

    /** Emits token 5, or throws on call {@code failAt}; counts closes. */
    private static final class Step implements DecodeStep {
        final AtomicInteger closes;
        final int failAt;
        int calls;

        Step(AtomicInteger closes, int failAt) {
            this.closes = closes;
            this.failAt = failAt;
        }

        @Override
        public int[] next(int max) {
            if (++calls == failAt) {
                throw new IllegalStateException("injected");
            }
            return new int[] {5};
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private static GenerationConfig cfg() {
        return GenerationConfig.builder().optMaxNewTokens(20).optStopAtEos(false).optSampling(SamplingConfig.GREEDY)
                .build();
    }

    @Test
    void everyPathClosesTheStepOnce() throws Exception {
        AtomicInteger closes = new AtomicInteger();
        // a failing step: closed when it throws, and close() afterwards does not close it again
        Generation g = new Generation(tok(), new int[] {1}, cfg(), () -> new Step(closes, 3));
        assertThrows(IllegalStateException.class, g::result);
        assertEquals(1, closes.get());
        g.close();
        assertEquals(1, closes.get());
        // cancel without close: freed at once
        Generation c = new Generation(tok(), new int[] {1}, cfg(), () -> new Step(closes, -1));
        c.next();
        c.cancel();
        assertEquals(2, closes.get());
        assertTrue(!c.hasNext() && c.finishReason() == FinishReason.CANCELLED);
        // the convenience method closes what it opens, also when the step fails
        TextGenerator failing = new TextGenerator() {
            @Override
            public Generation start(int[] ids) {
                return new Generation(tok(), ids, cfg(), () -> new Step(closes, 2));
            }

            @Override
            public Tokenizer tokenizer() {
                return tok();
            }

            @Override
            public GenerationConfig config() {
                return cfg();
            }
        };
        assertThrows(IllegalStateException.class, () -> failing.generate("t3"));
        assertEquals(3, closes.get());
        // abandoned without cancel or close: the Cleaner frees it once the generation is unreachable
        AtomicInteger abandoned = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            Generation a = new Generation(tok(), new int[] {1}, cfg(), () -> new Step(abandoned, -1));
            a.next();
        }
        for (int i = 0; i < 100 && abandoned.get() < 20; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(20, abandoned.get(), "the Cleaner closed every abandoned generation");
    }
}
