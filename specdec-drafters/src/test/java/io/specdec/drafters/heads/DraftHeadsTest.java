package io.specdec.drafters.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.CheckpointWriter;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.testing.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Heads files: a round trip keeps every tensor; loading for the wrong target, the wrong kind or a non-heads file is
 * a one-line error naming what differs; and inflated heads on a cost twin give the original heads' drafts on the
 * original target (logits to 1e-4, identical ranked candidates), for every kind.
 */
class DraftHeadsTest {
    static final LlamaConfig SMALL = new LlamaConfig(32, 48, 2, 4, 2, 8, 40, 64, 1e-5f, 10000f, false, false, 1, 2);

    @ParameterizedTest
    @MethodSource("io.specdec.drafters.heads.HeadArchitectures#all")
    void roundTripKeepsEveryTensor(HeadArchitecture kind, @TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(SMALL, 3, 0.1f);
        DraftHeads h = TestHeads.random(kind, w, 3, 5, 0.05f);
        Path f = dir.resolve(kind.id() + ".gguf");
        h.save(f);
        DraftHeads back = DraftHeads.load(f);
        assertEquals(kind.id(), back.architecture().id());
        assertEquals(h.count(), back.count());
        assertEquals(SMALL, back.target());
        for (String n : h.names()) {
            assertArrayEquals(h.tensor(n), back.tensor(n), n);
        }
    }

    @Test
    void wrongTargetKindOrFileIsAOneLineError(@TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(SMALL, 3, 0.1f);
        DraftHeads h = TestHeads.random(new HydraHeads(), w, 2, 5, 0.05f);
        LlamaConfig wider = new LlamaConfig(64, 48, 2, 4, 2, 16, 40, 64, 1e-5f, 10000f, false, false, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> h.requireTarget(wider, "x.gguf"));
        assertEquals("x.gguf: heads were trained for a target with hidden size 32, this target has 64", e.getMessage());
        LlamaConfig otherVocab = new LlamaConfig(32, 48, 2, 4, 2, 8, 50, 64, 1e-5f, 10000f, false, false, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> h.requireTarget(otherVocab, "x.gguf"));
        assertTrue(e.getMessage().contains("vocabulary 40, this target has 50"), e.getMessage());
        LlamaConfig deeper = new LlamaConfig(32, 48, 3, 4, 2, 8, 40, 64, 1e-5f, 10000f, false, false, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> h.requireTarget(deeper, "x.gguf"));
        assertTrue(e.getMessage().contains("layer count 2, this target has 3"), e.getMessage());
        Path model = dir.resolve("model.gguf");
        CheckpointWriter.writeGguf(w, null, model);
        e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(model));
        assertTrue(e.getMessage().contains("general.architecture is 'llama', expected 'specdec-heads'"),
                e.getMessage());
        Path f = dir.resolve("hydra.gguf");
        h.save(f);
        try (LlamaModel m = new LlamaModel(w)) {
            io.specdec.speculation.DrafterEnvironment env = new io.specdec.speculation.DrafterEnvironment(m,
                    tok(), List.of(), dir, null);
            e = assertThrows(IllegalArgumentException.class, () -> io.specdec.speculation.Drafters.create("medusa",
                    env, java.util.Map.of("heads", f.toString(), "choices", "0")));
            assertTrue(e.getMessage().contains("holds hydra heads, drafter medusa needs medusa heads"), e.getMessage());
        }
    }

    /** A heads file rewritten with one metadata value replaced (the fuzzer's findings, pinned). */
    static Path withMetadata(DraftHeads h, Path dir, String name, String key, Object value) throws Exception {
        io.specdec.io.GgufWriter g = new io.specdec.io.GgufWriter();
        g.putMetadata("general.architecture", "specdec-heads");
        g.putMetadata("specdec.heads.kind", h.architecture().id());
        g.putMetadata("specdec.heads.count", key.equals("specdec.heads.count") ? value : h.count());
        g.putMetadata("specdec.heads.blocks", key.equals("specdec.heads.blocks") ? value : h.blocks());
        g.putMetadata("specdec.heads.target_config", key.equals("specdec.heads.target_config") ? value
                : new com.google.gson.Gson().toJson(h.target()));
        for (String n : h.names()) {
            g.putTensor(n, h.shapes().get(n), h.tensor(n));
        }
        Path f = dir.resolve(name);
        g.write(f);
        return f;
    }

    @Test
    void damagedHeadFilesAreOneLineErrorsBeforeAnythingIsAllocated(@TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(SMALL, 3, 0.1f);
        DraftHeads h = TestHeads.random(new HydraHeads(), w, 2, 5, 0.05f);
        Path huge = withMetadata(h, dir, "huge.gguf", "specdec.heads.count", Integer.MAX_VALUE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(huge));
        assertEquals(huge + ": metadata specdec.heads.count must be in 1..64, found 2147483647", e.getMessage());
        Path wraps = withMetadata(h, dir, "wraps.gguf", "specdec.heads.count", 4_294_967_300L);
        e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(wraps));
        assertTrue(e.getMessage().endsWith("must be in 1..64, found 4294967300"), "no silent (int) truncation: "
                + e.getMessage());
        String json = new com.google.gson.Gson().toJson(SMALL).replace("\"layers\":2", "\"layers\":1e400");
        Path big = withMetadata(h, dir, "big.gguf", "specdec.heads.target_config", json);
        e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(big));
        assertEquals(big + ": metadata specdec.heads.target_config: field layers must be a 32-bit integer, found"
                + " 1e400", e.getMessage());
        Path broken = withMetadata(h, dir, "broken.gguf", "specdec.heads.target_config", "{\"dim\": 32,");
        e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(broken));
        assertTrue(e.getMessage().startsWith(broken + ": metadata specdec.heads.target_config: not valid JSON")
                && !e.getMessage().contains("\n") && !e.getMessage().contains("com.google"), e.getMessage());
        // a non-finite weight is refused at load, not in the middle of a generation
        java.util.Map<String, float[]> t = new java.util.LinkedHashMap<>(h.tensors());
        String first = h.names().get(0);
        float[] bad = t.get(first).clone();
        bad[1] = Float.NaN;
        t.put(first, bad);
        Path nan = dir.resolve("nan.gguf");
        new DraftHeads(h.architecture(), h.target(), h.count(), h.blocks(), t, h.shapes()).save(nan);
        e = assertThrows(IllegalArgumentException.class, () -> DraftHeads.load(nan));
        assertTrue(e.getMessage().startsWith(nan + ": tensor '" + first + "' holds NaN at index 1"), e.getMessage());
        // EAGLE heads for another context length: named before the first request
        DraftHeads eagle = TestHeads.random(new EagleHeads(), w, 1, 5, 0.05f);
        LlamaConfig longer = new LlamaConfig(32, 48, 2, 4, 2, 8, 40, 128, 1e-5f, 10000f, false, false, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> eagle.requireTarget(longer, "e.gguf"));
        assertEquals("e.gguf: heads were trained for a target with context length 64, this target has 128",
                e.getMessage());
    }

    static io.specdec.tokenizer.SentencePieceBpeTokenizer tok() {
        String[] p = new String[SMALL.vocabSize()];
        for (int i = 0; i < p.length; i++) {
            p[i] = "t" + i;
        }
        return new io.specdec.tokenizer.SentencePieceBpeTokenizer(p, new float[p.length], null, 1, 2, 0, true);
    }

    @ParameterizedTest
    @MethodSource("io.specdec.drafters.heads.HeadArchitectures#all")
    void inflatedHeadsOnTheTwinDraftWhatTheOriginalsDraft(HeadArchitecture kind) {
        LlamaWeights w = TestModels.random(SMALL, 3, 0.1f);
        DraftHeads h = TestHeads.random(kind, w, 3, 5, 0.2f);
        Inflation.Shape shape = new Inflation.Shape(64, 8, 4, 8, 96, 3);
        LlamaWeights tw = Inflation.inflate(w, shape, 9);
        DraftHeads big;
        try {
            big = h.inflate(tw.config(), 9);
        } catch (IllegalArgumentException e) {
            // a family that cannot be inflated says so in one line naming itself
            assertTrue(e.getMessage().startsWith(kind.id() + " heads cannot be inflated"), e.getMessage());
            return;
        }
        assertEquals(tw.config().dim(), big.target().dim());
        int[] seq = {1, 7, 12, 3, 30, 22, 5, 9, 14, 2, 8};
        int[] path = {33, 4, 17};
        try (LlamaModel orig = new LlamaModel(w); LlamaModel twin = new LlamaModel(tw);
                LoadedHeads a = new LoadedHeads(orig, h); LoadedHeads b = new LoadedHeads(twin, big);
                HeadDrafter da = a.probe(); HeadDrafter db = b.probe()) {
            HeadSizing.load(orig, da, seq);
            HeadSizing.load(twin, db, seq);
            for (int len = 3; len <= seq.length; len++) {
                float[][] ra = da.pathLogits(seq, len, path);
                float[][] rb = db.pathLogits(seq, len, path);
                assertEquals(ra.length, rb.length);
                for (int d = 0; d < ra.length; d++) {
                    double worst = 0;
                    for (int v = 0; v < ra[d].length; v++) {
                        worst = Math.max(worst, Math.abs(ra[d][v] - rb[d][v]));
                    }
                    assertTrue(worst <= 1e-4, kind + " length " + len + " depth " + (d + 1) + ": |dlogit| " + worst);
                    assertArrayEquals(io.specdec.sampling.TopK.indices(ra[d], 4), io.specdec.sampling.TopK.indices(rb[d], 4), kind + " candidates");
                }
            }
        }
    }
}
