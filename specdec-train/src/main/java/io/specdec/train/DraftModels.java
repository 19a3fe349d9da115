package io.specdec.train;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Draft models for a target: initialisation from a subset of the target's own layers (the draft starts as the
 * target with layers skipped — LayerSkip's observation that a model's early-exit sub-networks already predict much of
 * the next token; Elhoushi et al., ACL 2024 — and distillation then closes the gap), and the draft's teacher-forced
 * greedy agreement with the target, which is its per-token acceptance rate under greedy verification.
 * Stateless; thread-safe.
 */
public final class DraftModels {
    private DraftModels() {}

    /**
     * The layers kept for an {@code n}-layer draft of an {@code l}-layer target: evenly spread, first and last
     * included ({@code n = 1}: the first).
     */
    public static int[] spread(int n, int l) {
        if (n < 1 || n > l) {
            throw new IllegalArgumentException("a draft of " + n + " layers from a target of " + l + " layers");
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = n == 1 ? 0 : (int) Math.round(i * (l - 1) / (double) (n - 1));
        }
        return out;
    }

    /**
     * A draft made of the target's embedding, the listed decoder layers (in order), final norm and LM head; its
     * context length is {@code context} (at most the target's).
     */
    public static LlamaWeights fromTargetLayers(LlamaWeights target, int[] layers, int context) {
        LlamaWeights t = target.toHalfSplit();
        LlamaConfig c = t.config();
        if (context < 1 || context > c.contextLength()) {
            throw new IllegalArgumentException("draft context " + context + " outside 1.." + c.contextLength());
        }
        List<LlamaWeights.Layer> kept = new ArrayList<>();
        for (int i : layers) {
            if (i < 0 || i >= c.layers()) {
                throw new IllegalArgumentException("layer " + i + " outside the target's 0.." + (c.layers() - 1));
            }
            kept.add(t.layers().get(i));
        }
        LlamaConfig dc = new LlamaConfig(c.dim(), c.hiddenDim(), layers.length, c.heads(), c.kvHeads(), c.headDim(),
                c.vocabSize(), context, c.rmsEps(), c.ropeTheta(), c.tiedEmbeddings(), c.qkvBias(), c.bosId(),
                c.eosId());
        return new LlamaWeights(dc, RopeLayout.HALF_SPLIT, t.embedding(), kept, t.finalNorm(), t.output());
    }

    /**
     * Agreement of a draft with its target.
     *
     * @param agreement fraction of continuation positions where the draft's argmax equals the target's greedy token
     * @param positions positions compared
     * @param perPrompt agreement per prompt
     */
    public record Agreement(double agreement, long positions, double[] perPrompt) {
        /** Expected tokens per round of a greedy chain of length {@code k} at this per-token rate (i.i.d. model). */
        public double expectedTau(int k) {
            double a = agreement;
            return a >= 1 ? k + 1 : (1 - Math.pow(a, k + 1)) / (1 - a);
        }
    }

    /**
     * Teacher-forced greedy agreement: the target decodes {@code newTokens} greedily after each prompt; the draft
     * reads the same sequence and its argmax at every continuation position is compared with the target's token.
     *
     * @throws IllegalArgumentException when the vocabularies differ or a prompt leaves no room in either context
     */
    public static Agreement agreement(CausalLM target, CausalLM draft, List<int[]> prompts, int newTokens) {
        if (target.config().vocabSize() != draft.config().vocabSize()) {
            throw new IllegalArgumentException("draft vocabulary " + draft.config().vocabSize() + " differs from the"
                    + " target's " + target.config().vocabSize());
        }
        long hit = 0;
        long n = 0;
        double[] per = new double[prompts.size()];
        for (int p = 0; p < prompts.size(); p++) {
            int[] prompt = prompts.get(p);
            int limit = Math.min(prompt.length + newTokens, Math.min(target.config().contextLength(),
                    draft.config().contextLength()));
            if (prompt.length >= limit) {
                throw new IllegalArgumentException("prompt " + p + " of " + prompt.length + " tokens leaves no room"
                        + " in the context of " + limit);
            }
            int[] seq = java.util.Arrays.copyOf(prompt, limit);
            int len = prompt.length;
            try (KvCache cache = target.newCache(limit)) {
                int next;
                try (ForwardResult r = target.forward(cache, prompt, ForwardOptions.LAST_ROW)) {
                    next = r.argmax(0);
                }
                while (true) {
                    seq[len++] = next;
                    if (len >= limit) {
                        break;
                    }
                    try (ForwardResult r = target.forward(cache, new int[] {next}, ForwardOptions.LAST_ROW)) {
                        next = r.argmax(0);
                    }
                }
            }
            long h = 0;
            try (KvCache cache = draft.newCache(limit);
                    ForwardResult r = draft.forward(cache, java.util.Arrays.copyOf(seq, limit - 1),
                            ForwardOptions.DEFAULT)) {
                int[] am = r.argmaxRows();
                for (int j = prompt.length - 1; j < limit - 1; j++) {
                    if (am[j] == seq[j + 1]) {
                        h++;
                    }
                }
            }
            int m = limit - prompt.length;
            per[p] = h / (double) m;
            hit += h;
            n += m;
        }
        return new Agreement(n == 0 ? 0 : hit / (double) n, n, per);
    }

    /**
     * The first {@code layers} decoder layers of {@code w} with its embedding, final norm and LM head: an exit of a
     * nested (S2D) draft as a model of its own. {@code w} itself when {@code layers} is all of them.
     */
    public static LlamaWeights exit(LlamaWeights w, int layers) {
        int n = w.config().layers();
        if (layers < 1 || layers > n) {
            throw new IllegalArgumentException("exit after " + layers + " layers: the draft has 1.." + n);
        }
        if (layers == n) {
            return w;
        }
        return new LlamaWeights(w.config().withLayers(layers), w.layout(), w.embedding(), w.layers().subList(0, layers),
                w.finalNorm(), w.output());
    }
}
