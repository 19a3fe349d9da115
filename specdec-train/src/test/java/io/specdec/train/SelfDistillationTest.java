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
}
