package io.specdec.drafters.recycling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.RoundResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Template shape, matrix updates and persistence, and the lookup/recycling proposals on hand-made sequences. */
class RecyclingUnitTest {
    private static DraftContext ctx(int[] seq, int budget) {
        return new DraftContext(seq, seq.length, SamplingConfig.GREEDY, LogitsProcessors.of(SamplingConfig.GREEDY),
                new SplittableRandom(1), budget, LengthControllers.fixed(budget));
    }

    @Test
    void paperTemplateHas80NodesInSixLevels() {
        TreeTemplate t = TreeTemplate.paper();
        assertEquals(80, t.size());
        assertArrayEquals(new int[] {8, 21, 25, 15, 8, 3}, t.levelWidths());
        assertEquals(8, t.width());
        assertEquals(3 * 3 + 9 * 3, TreeTemplate.full(2, 3).size() + 24);
        assertThrows(IllegalArgumentException.class, () -> TreeTemplate.parse("0,0;0"));
    }

    @Test
    void topKAndUpdateFollowTheLogits() {
        float[] logits = {0.1f, 5f, -2f, 3f, 3f, 9f};
        assertArrayEquals(new int[] {5, 1, 3}, AdjacencyMatrix.topK(logits, 0, 6, 3));
        AdjacencyMatrix m = new AdjacencyMatrix(6, 3);
        m.update(2, logits, 0);
        assertEquals(5, m.get(2, 0));
        assertEquals(3, m.get(2, 2));
        assertEquals(-1, m.get(0, 0));
        assertEquals(1, m.filledRows());
        assertEquals(6 * 3 * 4, m.bytes());
    }

    @Test
    void draftFollowsTheMatrixAndObserveUpdatesEveryVerifiedNode() {
        AdjacencyMatrix m = new AdjacencyMatrix(10, 2);
        TreeTemplate t = TreeTemplate.parse("0;1;0,0;0,1;1,0");
        Drafter d = TokenRecyclingDrafter.builder().setMatrix(m).optTemplate(t).build().create();
        assertEquals(0, d.propose(ctx(new int[] {1, 4}, 10)).size(), "cold matrix: nothing to propose");
        float[] row4 = {0, 0, 0, 0, 0, 0, 0, 5, 6, 0}; // after 4: 8 then 7
        float[] row8 = {0, 0, 9, 8, 0, 0, 0, 0, 0, 0}; // after 8: 2 then 3
        m.update(4, row4, 0);
        m.update(8, row8, 0);
        DraftTree tree = d.propose(ctx(new int[] {1, 4}, 10));
        // root 4 → [8, 7]; 8 → [2, 3]; 7 has no row: its child is dropped
        assertArrayEquals(new int[] {8, 7, 2, 3}, tree.tokens());
        assertArrayEquals(new int[] {-1, -1, 0, 0}, tree.parents());
        assertEquals(2, d.propose(ctx(new int[] {1, 4}, 2)).size(), "budget takes the first template nodes");
        // observe: every verified node's row is overwritten from the target logits (root row 0, node j row j+1)
        float[] logits = new float[5 * 10];
        logits[9] = 1; // root (4) → 9 first
        logits[10 + 1] = 1; // node 0 (8) → 1 first
        logits[40 + 6] = 1; // node 3 (3) → 6 first
        d.observe(new RoundResult(new io.specdec.speculation.RoundLayout(4, tree, 1), new int[] {0}, new int[] {8, 1},
                io.specdec.model.ForwardResult.ofHost(5, 10, logits, null, null), 0, 0));
        assertEquals(9, m.get(4, 0));
        assertEquals(1, m.get(8, 0));
        assertEquals(6, m.get(3, 0), "rejected nodes update the matrix too");
    }

    @Test
    void matrixSurvivesSaveAndLoadAndRejectsCorruptFiles(@TempDir Path dir) throws IOException {
        AdjacencyMatrix m = new AdjacencyMatrix(12, 4);
        m.update(3, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0);
        Path f = dir.resolve("m.bin");
        m.save(f);
        AdjacencyMatrix back = AdjacencyMatrix.load(f);
        assertEquals(11, back.get(3, 0));
        assertEquals(8, back.get(3, 3));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 4));
        IOException e = assertThrows(IOException.class, () -> AdjacencyMatrix.load(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        b[0] = 0;
        Files.write(f, b);
        assertThrows(IOException.class, () -> AdjacencyMatrix.load(f));
    }

    @Test
    void promptLookupMatchesTheLongestNgramLeftmostFirst() {
        Drafter d = PromptLookupDrafter.builder().setVocabSize(20).optNumTokens(4).build().create();
        // ... 5 6 7 [8 9] ... 5 6 7 → continuation after the 3-gram "5 6 7" is "8 9 10 5"
        int[] seq = {1, 5, 6, 7, 8, 9, 10, 5, 6, 7};
        assertArrayEquals(new int[] {8, 9, 10, 5}, d.propose(ctx(seq, 10)).tokens());
        assertArrayEquals(new int[] {8, 9}, d.propose(ctx(seq, 2)).tokens(), "budget caps the continuation");
        assertEquals(0, d.propose(ctx(new int[] {1, 2, 3}, 10)).size(), "no match, no draft");
        Drafter tree = PromptLookupDrafter.builder().setVocabSize(20).optMaxNgram(1).optNumTokens(2).optMaxMatches(3).build().create();
        DraftTree t = tree.propose(ctx(new int[] {1, 4, 2, 4, 3, 4}, 10));
        // matches of "4" at 1 and 3: continuations [2,4] and [3,4] → a two-branch tree
        assertArrayEquals(new int[] {2, 4, 3, 4}, t.tokens());
        assertArrayEquals(new int[] {-1, 0, -1, 2}, t.parents());
    }
}
