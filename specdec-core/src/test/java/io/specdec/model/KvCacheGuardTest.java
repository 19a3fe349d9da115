package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A cache in use by one thread is refused to another with a clear message (it would corrupt keys and values). */
class KvCacheGuardTest {
    @Test
    void secondThreadIsRefusedWhileTheFirstUsesTheCache() throws Exception {
        LlamaConfig c = new LlamaConfig(16, 32, 2, 2, 1, 8, 16, 32, 1e-5f, 10000f, false, false, 1, 2);
        try (LlamaModel m = new LlamaModel(LlamaWeights.random(c, 1, 0.1f)); KvCache cache = m.newCache(8)) {
            cache.acquire(); // this thread is "inside a forward"
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    m.forward(cache, new int[] {1}, ForwardOptions.LAST_ROW);
                } catch (Throwable t) {
                    seen.set(t);
                }
            }, "second-request");
            other.start();
            other.join();
            cache.release();
            assertTrue(seen.get() instanceof IllegalStateException, String.valueOf(seen.get()));
            assertTrue(seen.get().getMessage().contains("KV cache used by two threads at once"), seen.get().getMessage());
            assertEquals(0, cache.length(), "the refused forward wrote nothing");
            m.forward(cache, new int[] {1}, ForwardOptions.LAST_ROW);
            assertEquals(1, cache.length(), "usable again once released");
        }
    }
}
