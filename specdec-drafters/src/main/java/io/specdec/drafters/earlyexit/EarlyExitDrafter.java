package io.specdec.drafters.earlyexit;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.sampling.Distributions;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.RoundResult;
import io.specdec.speculation.OutputRequest;
import io.specdec.speculation.PromptContext;
import java.util.Arrays;

/**
 * Early-exit self-speculation: the draft is the target's first ℓ layers followed by its final norm and LM head
 * (LayerSkip, Elhoushi et al. 2024), verified by the full model.
 *
 * <ul>
 *   <li><b>Fixed mode</b> (LayerSkip): ℓ is given; chains of up to the round budget.
 *   <li><b>Dynamic mode</b> (DEL, Zarch et al. 2025): during verification the drafter asks for the residual stream
 *       after every layer ℓ < L at the verified positions and computes "shadow tokens" (argmax of the final norm +
 *       head on it). For the positions whose target token is known — the root and the accepted path — it updates a
 *       running per-layer acceptance {@code α_ℓ ← 0.9·α_ℓ + 0.1·(fraction of positions where shadow_ℓ = target
 *       argmax)} (prior 0.5). Each round it picks {@code (ℓ, d)} maximising tokens per loaded layer
 *       {@code TPL(ℓ, d) = [(1 − α_ℓ^(d+1)) / (1 − α_ℓ)] / (d·ℓ + L)} over ℓ in [1, L−1], d in [1, budget], and
 *       drafts nothing when no (ℓ, d) beats plain decoding ({@code 1 / L}).
 *   <li><b>Confidence stop</b> (both modes): drafting stops, dropping the token, when the draft's top probability is
 *       below {@code confidence} (default 0.5; 0 disables); the request's controller is consulted as well.
 * </ul>
 *
 * <p>What is reused: the exit layers compute exactly what the target computes for layers below ℓ, but this drafter
 * keeps its <em>own</em> cache (the verifier owns the target's); it recomputes layers below ℓ only for tokens it has
 * not seen, in one batched partial forward per round, and reuses its own cached K/V for everything already seen (when
 * a larger ℓ is chosen, its cache is rebuilt once). Sharing the target cache's first ℓ layers would also remove that
 * forward; it needs a verifier hook and is not done. Candidates: greedy requests draft the argmax (point mass);
 * sampling requests draft from q (the early-exit distribution after the shared processors). One instance per
 * request; the α estimates live in the factory's {@link LayerAcceptance} and persist across requests.
 */
public final class EarlyExitDrafter implements Drafter {
    private final CausalLM target;
    private final LayerAcceptance acceptance;
    private final int fixedExit;
    private final float confidence;
    private KvCache cache;
    private final io.specdec.drafters.CachedSequence seen = new io.specdec.drafters.CachedSequence();
    private int cacheExit = Integer.MAX_VALUE;
    private int lastExit;

    private EarlyExitDrafter(CausalLM target, LayerAcceptance acceptance, int fixedExit, float confidence) {
        this.target = target;
        this.acceptance = acceptance;
        this.fixedExit = fixedExit;
        this.confidence = confidence;
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link DrafterFactory}; its drafters share one {@link LayerAcceptance}. */
    public static final class Builder {
        private CausalLM target;
        private int exitLayer;
        private float confidence = 0.3f;

        /** The target whose first layers draft (required; at least 2 layers). */
        public Builder setTarget(CausalLM t) {
            this.target = t;
            return this;
        }

        /** Fixed exit layer in 1..L−1 (LayerSkip); default 0 = DEL's dynamic choice. */
        public Builder optExitLayer(int layer) {
            this.exitLayer = layer;
            return this;
        }

        /** Stop drafting below this top probability; default 0.3; 0 = never. */
        public Builder optConfidence(float c) {
            if (!(c >= 0f && c <= 1f)) {
                throw new IllegalArgumentException("confidence must be in [0, 1], found " + c);
            }
            this.confidence = c;
            return this;
        }

        public DrafterFactory build() {
            java.util.Objects.requireNonNull(target, "target is required (setTarget)");
            int layers = target.config().layers();
            if (layers < 2) {
                throw new IllegalArgumentException("early exit needs a model with at least 2 layers, found " + layers);
            }
            if (exitLayer < 0 || exitLayer >= layers) {
                throw new IllegalArgumentException("exit layer must be in 1.." + (layers - 1) + " (or 0 = dynamic),"
                        + " found " + exitLayer);
            }
            LayerAcceptance acc = new LayerAcceptance(layers);
            CausalLM t = target;
            int exit = exitLayer;
            float conf = confidence;
            return new DrafterFactory() {
                @Override
                public Drafter create() {
                    return new EarlyExitDrafter(t, acc, exit, conf);
                }

                @Override
                public String toString() {
                    return acc.toString();
                }
            };
        }
    }

    /** The α estimates shared by a factory's drafters (for reports). */
    public static LayerAcceptance acceptanceOf(DrafterFactory f) {
        try (Drafter d = f.create()) {
            return d instanceof EarlyExitDrafter e ? e.acceptance : null;
        }
    }

    @Override
    public void begin(PromptContext p) {
        cache = target.newCache(p.capacity());
        cacheExit = Integer.MAX_VALUE;
    }

    @Override
    public int vocabSize() {
        return target.config().vocabSize();
    }

    @Override
    public OutputRequest targetOutputs() {
        if (fixedExit > 0) {
            return OutputRequest.LOGITS;
        }
        int[] l = new int[target.config().layers() - 1];
        for (int i = 0; i < l.length; i++) {
            l[i] = i + 1;
        }
        return OutputRequest.layers(l);
    }

    @Override
    public DraftTree propose(DraftContext ctx) {
        int layers = target.config().layers();
        int exit;
        int depth;
        if (fixedExit > 0) {
            exit = fixedExit;
            depth = ctx.budget();
        } else {
            int[] best = acceptance.bestPlan(ctx.budget());
            exit = best[0];
            depth = best[1];
        }
        lastExit = exit;
        int length = ctx.length();
        if (depth == 0 || length + depth + 1 > cache.capacity()) {
            return DraftTree.empty();
        }
        if (exit > cacheExit) {
            cache.truncate(0); // deeper layers were never computed for the cached tokens
        }
        cacheExit = Math.min(cacheExit == Integer.MAX_VALUE ? exit : cacheExit, exit);
        if (cache.length() == 0) {
            cacheExit = exit;
        }
        ForwardOptions opts = ForwardOptions.LAST_ROW.withExitLayer(exit);
        // sync: feed what the cache lacks (longest common prefix with the sequence)
        int[] tokens = ctx.tokens();
        int lcp = seen.sync(cache, tokens, length);
        ForwardResult r = target.forward(cache, Arrays.copyOfRange(tokens, lcp, length), opts);
        seen.record(tokens, lcp, length);
        // the exit's own confidence stop reads the top probability (known before the token is drawn)
        return io.specdec.drafters.ChainDraft.draft(ctx, depth, new io.specdec.drafters.ChainDraft.Step(r.row(0),
                null), s -> s.topProbability() >= confidence, (hist, len) -> {
                    ForwardResult n = target.forward(cache, new int[] {hist[len - 1]}, opts);
                    seen.record(hist, len - 1, len);
                    return new io.specdec.drafters.ChainDraft.Step(n.row(0), null);
                });
    }

    @Override
    public void observe(RoundResult r) {
        ForwardResult out = r.outputs();
        int layersAsked = out.hiddenLayerCount();
        if (layersAsked == 0) {
            return;
        }
        int v = out.vocab();
        int dim = target.config().dim();
        // positions with a known target token: the root and the accepted path
        int n = 1 + r.accepted();
        int[] known = new int[n];
        known[0] = r.layout().row(-1);
        for (int i = 0; i < r.accepted(); i++) {
            known[1 + i] = r.layout().row(r.acceptedNode(i));
        }
        int[] finalTok = new int[n];
        for (int i = 0; i < n; i++) {
            finalTok[i] = out.argmax(known[i]);
        }
        // all layers' shadow tokens in one head call: rows (layer, position)
        float[] h = new float[layersAsked * n * dim];
        for (int l = 0; l < layersAsked; l++) {
            float[] layer = out.layerHidden(l);
            for (int i = 0; i < n; i++) {
                System.arraycopy(layer, known[i] * dim, h, (l * n + i) * dim, dim);
            }
        }
        float[] shadow = target.logitsFromHidden(h, layersAsked * n);
        for (int l = 0; l < layersAsked; l++) {
            int hit = 0;
            for (int i = 0; i < n; i++) {
                hit += Distributions.argmax(shadow, (l * n + i) * v, v) == finalTok[i] ? 1 : 0;
            }
            acceptance.update(l + 1, (double) hit / n);
        }
    }

    /** The exit layer used by the last proposal. */
    public int lastExit() {
        return lastExit;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
    }

    /**
     * Running per-layer acceptance estimates α_ℓ (ℓ = 1..L−1) and DEL's plan choice. Thread-safe (synchronised).
     */
    public static final class LayerAcceptance {
        private static final double W = 0.1;
        private final int layers;
        private final double[] alpha;
        private long updates;

        LayerAcceptance(int layers) {
            this.layers = layers;
            this.alpha = new double[layers];
            Arrays.fill(alpha, 0.5);
        }

        synchronized void update(int layer, double hitRate) {
            alpha[layer] = (1 - W) * alpha[layer] + W * hitRate;
            updates++;
        }

        /** α_ℓ for ℓ = 1..L−1 (index 0 = layer 1). */
        public synchronized double[] alphas() {
            return Arrays.copyOfRange(alpha, 1, layers);
        }

        /** TPL(ℓ, d) as defined in the class doc. */
        public synchronized double tpl(int layer, int d) {
            double a = Math.min(alpha[layer], 0.999999);
            return ((1 - Math.pow(a, d + 1)) / (1 - a)) / ((double) d * layer + layers);
        }

        /** {exit layer, depth} maximising TPL for depths up to {@code maxDepth}; depth 0 when nothing beats 1/L. */
        public synchronized int[] bestPlan(int maxDepth) {
            double best = 1.0 / layers;
            int[] plan = {1, 0};
            for (int l = 1; l < layers; l++) {
                for (int d = 1; d <= maxDepth; d++) {
                    double t = tpl(l, d);
                    if (t > best) {
                        best = t;
                        plan = new int[] {l, d};
                    }
                }
            }
            return plan;
        }

        @Override
        public synchronized String toString() {
            StringBuilder sb = new StringBuilder("alpha:");
            for (int l = 1; l < layers; l++) {
                sb.append(String.format(" l%d=%.3f", l, alpha[l]));
            }
            return sb.toString();
        }
    }
}
