package io.specdec.model;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.CheckpointWriter;
import io.specdec.tensor.GgmlType;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.testing.ReferenceLlama;
import io.specdec.testing.TestModels;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The runtime against an independent scalar reference, and its own invariants (batching, trees, caches, layouts). */
class LlamaModelTest {
    private static final int[] TOKENS = {1, 5, 9, 3, 17, 4, 22, 8, 13, 30, 2, 7};

    static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** Both kernels ({@link Kernels}) against the scalar reference, token by token, then as one batch. */
    private static void assertMatchesReference(LlamaConfig c) {
        LlamaWeights w = TestModels.random(c, 7, 0.2f);
        for (String kernel : KernelsTest.kernels()) {
            ReferenceLlama ref = new ReferenceLlama(w);
            float[][] expected = new float[TOKENS.length][];
            try (LlamaModel m = new LlamaModel(w, kernel); KvCache cache = m.newCache(c.contextLength())) {
                assertEquals(kernel, m.kernel());
                for (int i = 0; i < TOKENS.length; i++) {
                    expected[i] = ref.step(TOKENS[i]);
                    float[] got = m.forward(cache, new int[] {TOKENS[i]}, ForwardOptions.DEFAULT).logits();
                    assertTrue(maxDiff(expected[i], got) < 1e-4, kernel + " logits differ by "
                            + maxDiff(expected[i], got) + " for " + c);
                }
                cache.clear();
                float[] batch = m.forward(cache, TOKENS, ForwardOptions.DEFAULT).logits();
                for (int i = 0; i < TOKENS.length; i++) {
                    float[] row = Arrays.copyOfRange(batch, i * c.vocabSize(), (i + 1) * c.vocabSize());
                    assertTrue(maxDiff(expected[i], row) < 1e-4, kernel + " batched row " + i + " differs by "
                            + maxDiff(expected[i], row) + " for " + c);
                }
            }
        }
    }

    @Test
    void matchesScalarReferenceWithGqa() {
        assertMatchesReference(TestModels.tiny(32));
    }

    @Test
    void matchesScalarReferenceWithQkvBiasThetaAndUntiedHead() {
        assertMatchesReference(new LlamaConfig(48, 64, 3, 6, 2, 8, 40, 32, 1e-6f, 500000f, false, true, 1, 2));
    }

    @Test
    void matchesScalarReferenceWithTiedHeadMhaAndWideHeads() {
        assertMatchesReference(new LlamaConfig(32, 40, 2, 2, 2, 16, 36, 32, 1e-5f, 10000f, true, false, 1, 2));
    }

    /** Above 65536 q/k weight elements RoPE runs on the q/k output instead of fused weight rows. */
    @Test
    void matchesScalarReferenceOnTheLargeModelRopePath() {
        assertMatchesReference(new LlamaConfig(256, 64, 1, 4, 2, 64, 32, 32, 1e-5f, 10000f, false, false, 1, 2));
    }

    @Test
    void batchedForwardEqualsSingleTokenForwardsOnBothRopePaths() {
        batchedEqualsSingle(TestModels.tiny(32), false);
        batchedEqualsSingle(new LlamaConfig(256, 64, 1, 4, 2, 64, 32, 32, 1e-5f, 10000f, false, false, 1, 2), true);
    }

    private static void batchedEqualsSingle(LlamaConfig c, boolean relative) {
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 3, 0.1f));
                KvCache a = m.newCache(32);
                KvCache b = m.newCache(32)) {
            // a 3-token prefix, then T tokens at once vs one by one
            m.forward(a, new int[] {1, 4, 6}, ForwardOptions.DEFAULT);
            m.forward(b, new int[] {1, 4, 6}, ForwardOptions.DEFAULT);
            int[] block = Arrays.copyOf(TOKENS, 9);
            ForwardResult batched = m.forward(a, block, ForwardOptions.DEFAULT);
            assertEquals(block.length, batched.rows());
            // 1e-5 absolute for logits of order 1; scaled by the largest logit where they are larger (float32
            // summation order differs between a T-row matmul and T matrix-vector products)
            float scale = 1;
            for (float v : batched.logits()) {
                scale = relative ? Math.max(scale, Math.abs(v)) : 1;
            }
            for (int i = 0; i < block.length; i++) {
                float[] single = m.forward(b, new int[] {block[i]}, ForwardOptions.DEFAULT).logits();
                float diff = maxDiff(batched.row(i), single);
                assertTrue(diff <= 1e-5 * scale, "row " + i + ": " + diff + " (max |logit| " + scale + ")");
            }
            for (int l = 0; l < c.layers(); l++) {
                assertTrue(maxDiff(a.keysOf(l), b.keysOf(l)) <= 1e-5);
                assertTrue(maxDiff(a.valuesOf(l), b.valuesOf(l)) <= 1e-5);
            }
        }
    }

    /**
     * A tree over the prefix: root children 0 (tok 5) and 1 (tok 9); 0 has children 2 (tok 3) and 3 (tok 11); 2 has
     * child 4 (tok 7); 1 has child 5 (tok 6). Every node's logits equal sequential decoding of its path, and after
     * committing the path 0→2→4 the cache equals the sequential cache and decoding continues identically.
     */
    @Test
    void treeMaskAndCommitEqualSequentialDecoding() {
        LlamaConfig c = TestModels.tiny(32);
        int[] prefix = {1, 8, 12, 14};
        int[] tokens = {5, 9, 3, 11, 7, 6};
        int[] parents = {-1, -1, 0, 0, 2, 1};
        int[] depth = {0, 0, 1, 1, 2, 1};
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 11, 0.2f)); KvCache tree = m.newCache(32)) {
            m.forward(tree, prefix, ForwardOptions.DEFAULT);
            int[] pos = new int[tokens.length];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = prefix.length + depth[i];
            }
            ForwardResult r = m.forward(tree, tokens, pos, AttentionMask.tree(parents), ForwardOptions.DEFAULT);
            for (int node = 0; node < tokens.length; node++) {
                int[] path = pathTo(node, parents, tokens);
                try (KvCache seq = m.newCache(32)) {
                    m.forward(seq, prefix, ForwardOptions.DEFAULT);
                    float[] last = m.forward(seq, path, ForwardOptions.DEFAULT).row(path.length - 1);
                    assertTrue(maxDiff(r.row(node), last) <= 1e-5, "node " + node + ": " + maxDiff(r.row(node), last));
                }
            }
            tree.commit(prefix.length, new int[] {0, 2, 4});
            assertEquals(prefix.length + 3, tree.length());
            try (KvCache seq = m.newCache(32)) {
                m.forward(seq, prefix, ForwardOptions.DEFAULT);
                m.forward(seq, new int[] {5, 3, 7}, ForwardOptions.DEFAULT);
                for (int l = 0; l < c.layers(); l++) {
                    assertTrue(maxDiff(tree.keysOf(l), seq.keysOf(l)) <= 1e-5, "keys of layer " + l);
                    assertTrue(maxDiff(tree.valuesOf(l), seq.valuesOf(l)) <= 1e-5, "values of layer " + l);
                }
                float[] a = m.forward(tree, new int[] {19}, ForwardOptions.DEFAULT).logits();
                float[] b = m.forward(seq, new int[] {19}, ForwardOptions.DEFAULT).logits();
                assertTrue(maxDiff(a, b) <= 1e-5);
            }
        }
    }

    /**
     * The same tree grown level by level (EAGLE-2's drafting): each level is one forward whose mask covers the
     * earlier levels' cached rows ({@link AttentionMask#withHistory}); every node's logits equal sequential decoding
     * of its path, on both kernels.
     */
    @ParameterizedTest
    @ValueSource(strings = {"torch", "vector"})
    void levelByLevelTreeWithHistoryMaskEqualsSequentialDecoding(String kernel) {
        LlamaConfig c = TestModels.tiny(32);
        int[] prefix = {1, 8, 12, 14};
        int[] tokens = {5, 9, 3, 11, 6, 7};
        int[] parents = {-1, -1, 0, 0, 1, 2};
        int[][] levels = {{0, 1}, {2, 3, 4}, {5}};
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 11, 0.2f), kernel); KvCache tree = m.newCache(32)) {
            m.forward(tree, prefix, ForwardOptions.DEFAULT);
            int[] row = new int[tokens.length]; // each node's row among the cached tree rows
            int cached = 0;
            float[][] logits = new float[tokens.length][];
            for (int depth = 0; depth < levels.length; depth++) {
                int[] lv = levels[depth];
                boolean[][] vis = new boolean[lv.length][cached + lv.length];
                int[] toks = new int[lv.length];
                int[] pos = new int[lv.length];
                for (int i = 0; i < lv.length; i++) {
                    toks[i] = tokens[lv[i]];
                    pos[i] = prefix.length + depth;
                    for (int a = parents[lv[i]]; a >= 0; a = parents[a]) {
                        vis[i][row[a]] = true;
                    }
                    vis[i][cached + i] = true;
                }
                ForwardResult r = m.forward(tree, toks, pos, AttentionMask.withHistory(cached, vis),
                        ForwardOptions.DEFAULT);
                for (int i = 0; i < lv.length; i++) {
                    logits[lv[i]] = r.row(i);
                    row[lv[i]] = cached + i;
                }
                cached += lv.length;
            }
            for (int node = 0; node < tokens.length; node++) {
                int[] path = pathTo(node, parents, tokens);
                try (KvCache seq = m.newCache(32)) {
                    m.forward(seq, prefix, ForwardOptions.DEFAULT);
                    float[] last = m.forward(seq, path, ForwardOptions.DEFAULT).row(path.length - 1);
                    assertTrue(maxDiff(logits[node], last) <= 1e-5, kernel + " node " + node + ": "
                            + maxDiff(logits[node], last));
                }
            }
        }
    }

    private static int[] pathTo(int node, int[] parents, int[] tokens) {
        int n = 0;
        int[] rev = new int[parents.length];
        for (int x = node; x >= 0; x = parents[x]) {
            rev[n++] = tokens[x];
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = rev[n - 1 - i];
        }
        return p;
    }

    @Test
    void earlyExitEqualsHeadOnIntermediateHiddenState() {
        LlamaConfig c = new LlamaConfig(32, 48, 4, 4, 2, 8, 32, 32, 1e-5f, 10000f, false, false, 1, 2);
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 5, 0.2f));
                KvCache a = m.newCache(16);
                KvCache b = m.newCache(16)) {
            int[] toks = {1, 6, 9, 2};
            ForwardResult full = m.forward(a, toks, ForwardOptions.DEFAULT.withHiddenLayers(2, 4).withLastHidden());
            ForwardResult exit2 = m.forward(b, toks, ForwardOptions.DEFAULT.withExitLayer(2));
            float[] fromHidden = m.logitsFromHidden(full.layerHidden()[0], toks.length);
            assertTrue(maxDiff(exit2.logits(), fromHidden) <= 1e-5);
            float[] fromLast = m.logitsFromHidden(full.layerHidden()[1], toks.length);
            assertTrue(maxDiff(full.logits(), fromLast) <= 1e-5);
            assertEquals(toks.length * c.dim(), full.lastHidden().length);
        }
    }

    @Test
    void lastRowOptionReturnsOnlyTheLastRow() {
        LlamaConfig c = TestModels.tiny(32);
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 5, 0.2f));
                KvCache a = m.newCache(16);
                KvCache b = m.newCache(16)) {
            ForwardResult all = m.forward(a, new int[] {1, 2, 3}, ForwardOptions.DEFAULT);
            ForwardResult last = m.forward(b, new int[] {1, 2, 3}, ForwardOptions.LAST_ROW);
            assertEquals(1, last.rows());
            assertTrue(maxDiff(all.row(2), last.row(0)) <= 1e-6);
        }
    }

    @Test
    void hfAndGgufLayoutsGiveIdenticalLogits(@TempDir Path dir) throws Exception {
        LlamaConfig c = new LlamaConfig(32, 48, 2, 4, 2, 8, 32, 64, 1e-5f, 10000f, false, false, 1, 2);
        LlamaWeights w = TestModels.random(c, 21, 0.2f);
        String[] pieces = new String[32];
        float[] scores = new float[32];
        for (int i = 0; i < 32; i++) {
            pieces[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : String.valueOf((char) ('a' + i - 3));
            scores[i] = -i;
        }
        SentencePieceBpeTokenizer tok = new SentencePieceBpeTokenizer(pieces, scores, null, 1, 2, 0, true);
        CheckpointWriter.writeHf(w, dir.resolve("hf"), GgmlType.F32);
        CheckpointWriter.writeGguf(w, tok, dir.resolve("m.gguf"));
        LoadedModel hf = ModelLoader.load(dir.resolve("hf"));
        LoadedModel gg = ModelLoader.load(dir.resolve("m.gguf"));
        assertEquals(hf.config().withContextLength(64), gg.config().withContextLength(64));
        // the GGUF file really holds the interleaved layout: its q rows differ from the HF rows
        try (var g = io.specdec.io.GgufFile.open(dir.resolve("m.gguf"))) {
            float[] ggq = g.readFloats(g.require("blk.0.attn_q.weight"));
            assertTrue(maxDiff(ggq, w.layers().get(0).wq()) > 0.01f, "GGUF q rows must be permuted");
        }
        try (LlamaModel a = new LlamaModel(hf.weights()); LlamaModel b = new LlamaModel(gg.weights());
                KvCache ca = a.newCache(32); KvCache cb = b.newCache(32)) {
            float[] la = a.forward(ca, TOKENS, ForwardOptions.DEFAULT).logits();
            float[] lb = b.forward(cb, TOKENS, ForwardOptions.DEFAULT).logits();
            assertTrue(maxDiff(la, lb) <= 1e-6, "HF vs GGUF layout: " + maxDiff(la, lb));
            ReferenceLlama ref = new ReferenceLlama(w);
            float[] r = null;
            for (int t : TOKENS) {
                r = ref.step(t);
            }
            float[] lastRow = Arrays.copyOfRange(la, (TOKENS.length - 1) * 32, TOKENS.length * 32);
            assertTrue(maxDiff(r, lastRow) < 1e-4);
        }
        for (int i = 0; i < 32; i++) {
            assertEquals(pieces[i], gg.tokenizer().piece(i), "vocabulary survives the round trip");
        }
    }

    @Test
    void rejectsOverflowBadTokensAndBadPositions() {
        LlamaConfig c = TestModels.tiny(32);
        try (LlamaModel m = new LlamaModel(TestModels.random(c, 1, 0.2f)); KvCache cache = m.newCache(4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(cache, new int[] {1, 2, 3, 4, 5}, ForwardOptions.DEFAULT));
            assertTrue(e.getMessage().contains("cache full"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(cache, new int[] {32}, ForwardOptions.DEFAULT));
            assertTrue(e.getMessage().contains("outside vocabulary"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(cache, new int[] {3}, new int[] {64}, null, ForwardOptions.DEFAULT));
            assertTrue(e.getMessage().contains("position"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.newCache(65));
            assertEquals(0, cache.length(), "failed calls leave the cache untouched");
        }
    }
}
