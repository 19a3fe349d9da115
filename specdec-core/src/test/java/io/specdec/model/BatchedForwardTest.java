package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link LlamaModel#forwardBatch}: several sequences, each with its own cache, positions and tree mask, in one
 * forward, give bitwise the logits, hidden states and cache contents of their forwards one at a time — whatever else
 * is in the batch (prefill chunks, single decode rows, draft trees, an early exit), on both kernels. The reference is
 * the plain single-sequence forward, which {@link KernelsTest} and the golden outputs pin.
 */
class BatchedForwardTest {
    /** Sequence i's rows this round: tokens, positions, mask (null: causal). */
    private record Rows(int[] tokens, int[] positions, AttentionMask mask) {}

    private static Rows round(Random r, int vocab, int length, int round, int seq) {
        int kind = (seq + round) % 3;
        if (kind == 0) { // a prefill chunk
            int t = 1 + r.nextInt(6);
            int[] tok = r.ints(t, 0, vocab).toArray();
            int[] pos = new int[t];
            for (int i = 0; i < t; i++) {
                pos[i] = length + i;
            }
            return new Rows(tok, pos, null);
        }
        if (kind == 1) { // one decode row
            return new Rows(new int[] {r.nextInt(vocab)}, new int[] {length}, null);
        }
        int[] parents = {-1, 0, 0, 1, -1}; // a draft tree of 5 nodes
        int[] pos = {length, length + 1, length + 1, length + 2, length};
        return new Rows(r.ints(5, 0, vocab).toArray(), pos, AttentionMask.tree(parents));
    }

    @Test
    void aBatchIsBitwiseItsSequencesOneAtATime() {
        LlamaWeights w = TestModels.random(KernelsTest.GQA_BIAS, 3, 0.2f);
        int vocab = w.config().vocabSize();
        for (String kernel : KernelsTest.kernels()) {
            try (LlamaModel m = new LlamaModel(w, kernel)) {
                int n = 5;
                List<KvCache> alone = new ArrayList<>();
                List<KvCache> batched = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    alone.add(m.newCache(32));
                    batched.add(m.newCache(32));
                }
                Random r = new Random(11);
                try {
                    for (int round = 0; round < 4; round++) {
                        List<LlamaModel.BatchItem> items = new ArrayList<>();
                        List<float[]> expected = new ArrayList<>();
                        List<float[]> expectedHidden = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            Rows rows = round(r, vocab, alone.get(i).length(), round, i);
                            ForwardOptions opts = ForwardOptions.DEFAULT.withLastHidden().withHiddenLayers(2);
                            if (i == 1) {
                                opts = new ForwardOptions(-1, false, new int[] {2}, 1, false); // last row only
                            }
                            try (ForwardResult one = m.forward(alone.get(i), rows.tokens(), rows.positions(),
                                    rows.mask(), opts)) {
                                expected.add(one.logits());
                                expectedHidden.add(one.layerHidden(0));
                            }
                            items.add(LlamaModel.BatchItem.of(batched.get(i), rows.tokens(), rows.positions(),
                                    rows.mask(), opts));
                        }
                        List<ForwardResult> got = m.forwardBatch(items);
                        assertEquals(n, got.size());
                        for (int i = 0; i < n; i++) {
                            try (ForwardResult g = got.get(i)) {
                                String where = kernel + " round " + round + " sequence " + i;
                                assertArrayEquals(expected.get(i), g.logits(), where + ": logits");
                                assertArrayEquals(expectedHidden.get(i), g.layerHidden(0), where + ": layer 2");
                            }
                            assertEquals(alone.get(i).length(), batched.get(i).length());
                            for (int l = 0; l < w.config().layers(); l++) {
                                assertArrayEquals(alone.get(i).keysOf(l), batched.get(i).keysOf(l), "keys " + l);
                                assertArrayEquals(alone.get(i).valuesOf(l), batched.get(i).valuesOf(l),
                                        "values " + l);
                            }
                        }
                        // keep one path of each tree, as a verifier commits
                        for (int i = 0; i < n; i++) {
                            if (items.get(i).mask() != null) {
                                int prefix = alone.get(i).length() - 5;
                                alone.get(i).commit(prefix, new int[] {0, 1, 3});
                                batched.get(i).commit(prefix, new int[] {0, 1, 3});
                            }
                        }
                    }
                } finally {
                    alone.forEach(KvCache::close);
                    batched.forEach(KvCache::close);
                }
            }
        }
    }

    @Test
    void badBatchesAreOneLineErrors() {
        LlamaWeights w = TestModels.random(KernelsTest.GQA_BIAS, 3, 0.2f);
        try (LlamaModel m = new LlamaModel(w, KernelsTest.kernels().get(KernelsTest.kernels().size() - 1));
                KvCache a = m.newCache(8); KvCache b = m.newCache(8)) {
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> m.forwardBatch(List.of(
                    LlamaModel.BatchItem.of(a, new int[] {1}, new int[] {0}, null, ForwardOptions.DEFAULT),
                    LlamaModel.BatchItem.of(a, new int[] {2}, new int[] {1}, null, ForwardOptions.DEFAULT))));
            assertEquals("batch item 1: its cache is already in the batch", twice.getMessage());
            IllegalArgumentException layers = assertThrows(IllegalArgumentException.class, () -> m.forwardBatch(
                    List.of(LlamaModel.BatchItem.of(a, new int[] {1}, new int[] {0}, null, ForwardOptions.DEFAULT),
                            LlamaModel.BatchItem.of(b, new int[] {1}, new int[] {0}, null,
                                    ForwardOptions.DEFAULT.withExitLayer(1)))));
            assertTrue(layers.getMessage().startsWith("batch item 1 asks for other layers"), layers.getMessage());
            IllegalArgumentException token = assertThrows(IllegalArgumentException.class, () -> m.forwardBatch(
                    List.of(LlamaModel.BatchItem.of(a, new int[] {1}, new int[] {0}, null, ForwardOptions.DEFAULT),
                            LlamaModel.BatchItem.of(b, new int[] {-3}, new int[] {0}, null, ForwardOptions.DEFAULT))));
            assertTrue(token.getMessage().startsWith("batch item 1: token id -3 outside vocabulary"),
                    token.getMessage());
            assertEquals(0, a.length(), "nothing ran");
            assertThrows(IllegalArgumentException.class, () -> m.forwardBatch(List.of()));
        }
    }
}
