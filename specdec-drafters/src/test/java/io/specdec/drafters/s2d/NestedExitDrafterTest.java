package io.specdec.drafters.s2d;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.Distributions;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.PromptContext;
import io.specdec.train.DraftModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * S2D's per-step exit against its definition computed independently: for every drafted position, each exit's
 * distribution from a plain forward of that many layers of the committed nested draft ({@code
 * models/stories260K-s2d.gguf}, {@link DraftModels#exit}) over the whole sequence; the token must be the argmax of the
 * shallowest exit whose top probability reaches the confidence. Over two rounds — the second after a partial
 * acceptance and a corrected token, so the caches are cut back and the deferred deep rows recomputed — with both exits
 * used, the chains must match token for token.
 */
class NestedExitDrafterTest {
    private static final float CONFIDENCE = 0.6f;

    private static Path nested() {
        String env = System.getenv("SPECDEC_MODELS");
        return Path.of(env != null && !env.isBlank() ? env : "../models").resolve("stories260K-s2d.gguf");
    }

    /** The token the definition drafts after {@code seq}, and the exit (0-based) that drafts it. */
    private static int[] expected(List<LlamaModel> prefixes, int[] seq) {
        for (int e = 0; e < prefixes.size(); e++) {
            float[] l;
            try (KvCache c = prefixes.get(e).newCache(seq.length);
                    ForwardResult r = prefixes.get(e).forward(c, seq, ForwardOptions.LAST_ROW)) {
                l = r.row(0);
            }
            float top = 0;
            for (float p : Distributions.softmax(l)) {
                top = Math.max(top, p);
            }
            if (top >= CONFIDENCE || e == prefixes.size() - 1) {
                return new int[] {Distributions.argmax(l), e};
            }
        }
        throw new AssertionError();
    }

    private static DraftContext ctx(int[] seq, int budget) {
        return new DraftContext(seq, seq.length, SamplingConfig.GREEDY, LogitsProcessors.of(SamplingConfig.GREEDY),
                new SplittableRandom(1), budget, null);
    }

    @Test
    void eachTokenComesFromTheShallowestConfidentExit() throws Exception {
        LoadedModel d = ModelLoader.load(nested());
        LlamaWeights w = d.weights();
        int layers = w.config().layers();
        List<LlamaModel> prefixes = new ArrayList<>();
        int[] exits = new int[layers];
        for (int e = 1; e <= layers; e++) {
            prefixes.add(new LlamaModel(DraftModels.exit(w, e)));
            exits[e - 1] = e;
        }
        try (NestedExitDrafter.Segments segs = new NestedExitDrafter.Segments(w, exits)) {
            NestedExitDrafter drafter = (NestedExitDrafter) NestedExitDrafter.factory(segs, CONFIDENCE, null).create();
            drafter.begin(new PromptContext(new int[0], null, null, 128, SamplingConfig.GREEDY));
            int[] prompt = d.tokenizer().encode("Once upon a time, there was a little", true);
            int[] used = new int[layers];
            int[] seq = prompt;
            for (int round = 0; round < 3; round++) {
                DraftTree chain = drafter.propose(ctx(seq, 10));
                assertTrue(chain.size() == 10, "greedy chain of the full budget");
                int[] s = seq;
                for (int i = 0; i < chain.size(); i++) {
                    int[] ex = expected(prefixes, s);
                    assertTrue(ex[0] == chain.token(i), "round " + round + ", token " + i + ": expected "
                            + ex[0] + " (exit " + (ex[1] + 1) + "), drafted " + chain.token(i));
                    used[ex[1]]++;
                    s = Arrays.copyOf(s, s.length + 1);
                    s[s.length - 1] = chain.token(i);
                }
                // the verifier kept 3 drafted tokens and corrected the fourth
                int keep = Math.min(3, chain.size());
                seq = Arrays.copyOf(s, seq.length + keep + 1);
                seq[seq.length - 1] = (chain.token(keep) + 1) % w.config().vocabSize();
            }
            long[] counts = drafter.exitCounts();
            assertTrue(used[0] > 0 && used[layers - 1] + (layers > 2 ? used[1] : 0) > 0, "both a shallow and a"
                    + " deeper exit drafted: " + Arrays.toString(used));
            assertTrue(Arrays.stream(counts).sum() > 0, Arrays.toString(counts));
            drafter.close();
        } finally {
            prefixes.forEach(LlamaModel::close);
        }
        assertThrows(IllegalArgumentException.class, () -> new NestedExitDrafter.Segments(w, new int[] {2, 1}));
        assertThrows(IllegalArgumentException.class, () -> new NestedExitDrafter.Segments(w, new int[] {layers + 1}));
    }
}
