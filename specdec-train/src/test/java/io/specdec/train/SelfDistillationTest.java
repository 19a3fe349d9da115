package io.specdec.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.testing.TestModels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sampling is a function of the seed: the same ids with 1 or 2 workers, and after a cut-off file is resumed. */
class SelfDistillationTest {
    static final LlamaConfig CFG = TestModels.tiny(30);

    static SelfDistillation sd(LlamaWeights w, long n, int workers) {
        return SelfDistillation.builder().setWeights(w).setPrompts(List.of(new int[] {1}, new int[] {1, 5, 6}))
                .setSequences(n).optMaxNewTokens(20).optTopK(4).optWorkers(workers).optKernel("torch").build();
    }

    @Test
    void idsAreTheSameWhateverTheWorkersAndAfterAResume(@TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(CFG, 9, 0.3f);
        Path one = dir.resolve("one.bin");
        sd(w, 8, 1).run(one, null);
        Path two = dir.resolve("two.bin");
        sd(w, 8, 2).run(two, null);
        Path cut = dir.resolve("cut.bin");
        sd(w, 5, 1).run(cut, null);
        try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(cut) - 7); // a crash in the middle of the fifth record
        }
        SelfDistillation.Summary s = sd(w, 8, 1).run(cut, null);
        assertEquals(4, s.resumedFrom());
        List<SampleFile.Sample> a = SampleFile.read(one);
        assertEquals(8, a.size());
        for (Path p : List.of(two, cut)) {
            List<SampleFile.Sample> b = SampleFile.read(p);
            assertEquals(8, b.size());
            for (int i = 0; i < 8; i++) {
                assertArrayEquals(a.get(i).ids(), b.get(i).ids(), p + " record " + i);
                assertArrayEquals(a.get(i).topIds(), b.get(i).topIds(), p + " record " + i);
            }
        }
        SampleFile.Sample r = a.get(1);
        assertEquals(3, r.promptLength());
        assertEquals((r.ids().length - 1) * 4, r.topLogits().length);
        for (int j = 0; j + 1 < 4; j++) {
            assertTrue(r.topLogits()[j] >= r.topLogits()[j + 1], "top-k logits descend");
        }
    }

    @Test
    void badFilesAndSettingsAreOneLineErrors(@TempDir Path dir) throws Exception {
        LlamaWeights w = TestModels.random(CFG, 9, 0.3f);
        Path f = dir.resolve("s.bin");
        sd(w, 2, 1).run(f, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleFile.openForAppend(f, 31, 4));
        assertTrue(e.getMessage().contains("existing sample file has vocab 30, topK 4; this run wants vocab 31"),
                e.getMessage());
        Path junk = dir.resolve("junk.bin");
        Files.writeString(junk, "not a sample file at all, really");
        e = assertThrows(IllegalArgumentException.class, () -> SampleFile.read(junk));
        assertTrue(e.getMessage().contains("not a sample file (magic 'not a sa'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SelfDistillation.builder().setWeights(w)
                .setPrompts(List.of(new int[] {99})).setSequences(1).build());
        assertTrue(e.getMessage().contains("prompt token 99 outside the vocabulary 0..29"), e.getMessage());
    }

    /**
     * Reverse sampling against its two limits, each an independent run: with threshold 0 the student keeps every
     * target token, so the file is the plain target's; with threshold 1 it replaces every one (no token has student
     * probability 1 here), so the file is the student's own sampling with the seed the reverse run gives it (~seed);
     * in between, the count of replacements is reported and every kept token is one the target drew.
     */
    @Test
    void reverseSamplingMeetsPlainSamplingAtItsLimits(@TempDir Path dir) throws Exception {
        LlamaWeights target = TestModels.random(CFG, 9, 0.3f);
        LlamaWeights student = TestModels.random(CFG, 11, 0.3f);
        java.util.function.BiFunction<LlamaWeights, Long, SelfDistillation.Builder> b = (w, seed) ->
                SelfDistillation.builder().setWeights(w).setPrompts(List.of(new int[] {1}, new int[] {1, 5, 6}))
                        .setSequences(6).optMaxNewTokens(20).optKernel("torch").optSeed(seed);
        Path plainTarget = dir.resolve("t.bin");
        b.apply(target, 42L).build().run(plainTarget, null);
        Path plainStudent = dir.resolve("s.bin");
        b.apply(student, ~42L).build().run(plainStudent, null);
        Path keepAll = dir.resolve("r0.bin");
        SelfDistillation.Summary s0 = b.apply(target, 42L).optReverse(student, 0f).build().run(keepAll, null);
        Path replaceAll = dir.resolve("r1.bin");
        SelfDistillation.Summary s1 = b.apply(target, 42L).optReverse(student, 1f).build().run(replaceAll, null);
        Path mid = dir.resolve("rm.bin");
        SelfDistillation.Summary sm = b.apply(target, 42L).optReverse(student, 0.05f).build().run(mid, null);
        assertEquals(0, s0.replaced());
        assertEquals(s1.newTokens(), s1.replaced());
        assertTrue(sm.replaced() > 0 && sm.replaced() < sm.newTokens(), "some but not all replaced: " + sm);
        List<SampleFile.Sample> t = SampleFile.read(plainTarget);
        List<SampleFile.Sample> st = SampleFile.read(plainStudent);
        List<SampleFile.Sample> r0 = SampleFile.read(keepAll);
        List<SampleFile.Sample> r1 = SampleFile.read(replaceAll);
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(t.get(i).ids(), r0.get(i).ids(), "threshold 0, record " + i);
            assertArrayEquals(st.get(i).ids(), r1.get(i).ids(), "threshold 1, record " + i);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.apply(target, 1L)
                .optReverse(TestModels.random(TestModels.tiny(31), 1, 0.3f), 0.1f).build());
        assertTrue(e.getMessage().contains("the student has 31 tokens, the target 30"), e.getMessage());
    }
}
