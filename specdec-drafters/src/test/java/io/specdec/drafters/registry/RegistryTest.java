package io.specdec.drafters.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped drafters register themselves; each brings its own budget and controller (no separate budget to keep in
 * step: the 80-node recycling template runs with 80 nodes), and option values are checked with one-line errors.
 */
class RegistryTest {
    private static final LlamaConfig CFG = new LlamaConfig(16, 32, 3, 2, 1, 8, 16, 64, 1e-5f, 10000f, false, false,
            1, 2);

    private static SentencePieceBpeTokenizer tok() {
        String[] p = new String[16];
        for (int i = 0; i < 16; i++) {
            p[i] = "t" + i;
        }
        return new SentencePieceBpeTokenizer(p, new float[16], null, 1, 2, 0, true);
    }

    @Test
    void shippedDraftersAreRegisteredWithTheirOwnBudgets() throws Exception {
        assertEquals(List.of("clover", "del", "draft-model", "eagle", "hybrid", "hydra", "medusa", "prompt-lookup",
                "recycling", "s2d"),
                Drafters.names());
        try (LlamaModel m = new LlamaModel(LlamaWeights.random(CFG, 1, 0.1f))) {
            DrafterEnvironment env = new DrafterEnvironment(m, tok(), List.of(), Path.of("target"), null);
            try (DrafterSetup r = Drafters.create("recycling", env, Map.of())) {
                assertEquals(80, r.budget(), "the paper's template runs whole");
                assertEquals("static(80)", r.controller().get().name());
            }
            try (DrafterSetup l = Drafters.create("prompt-lookup", env, Map.of("lookup-matches", "3"))) {
                assertEquals(30, l.budget());
            }
            try (DrafterSetup d = Drafters.create("del", env, Map.of("exit-layer", "2"))) {
                assertEquals(4, d.budget());
                assertTrue(d.memoryBytes() > 0);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Drafters.create("recycling", env, Map.of("k", "4")));
            assertTrue(e.getMessage().contains("--k does not apply to drafter recycling"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Drafters.create("prompt-lookup", env, Map.of("lookup-max", "three")));
            assertTrue(e.getMessage().contains("--lookup-max (drafter prompt-lookup) must be an integer, found"
                    + " 'three'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Drafters.create("draft-model", env, Map.of()));
            assertTrue(e.getMessage().contains("needs --draft-model PATH"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Drafters.create("s2d", env, Map.of()));
            assertTrue(e.getMessage().contains("needs --s2d-draft PATH"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Drafters.create("lookahead", env, Map.of()));
            assertTrue(e.getMessage().contains("unknown drafter 'lookahead'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Drafters.create("medusa", env, Map.of()));
            assertTrue(e.getMessage().contains("needs --heads PATH"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Drafters.create("prompt-lookup", env, Map.of("lookup-tokens", "1000000")));
            assertTrue(e.getMessage().contains("--lookup-tokens (drafter prompt-lookup) must be <= 1024, found"
                    + " 1000000"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Drafters.create("recycling", env, Map.of("template", "0,0")));
            assertTrue(e.getMessage().contains("1 <= DEPTH, WIDTH <= 16"), e.getMessage());
        }
    }
}
