package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.train.TrainableLlama;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Clover (Xiao et al. 2024, "Clover: Regressive Lightweight Speculative Decoding with Sequential Knowledge",
 * arXiv:2405.00263; Clover-2 arXiv:2408.00264; reference XiaoBin1992/clover {@code clover2.py}; ALGORITHMS.md §9):
 * Medusa-like heads made sequential by three pieces, as the reference builds them:
 * <ul>
 *   <li><b>regressive connection</b>: every step reads the embedding of the token speculated (or verified) before it;
 *   <li><b>attention decoder</b> ({@link #fusion}, the reference's {@code ResAttentionBlock}): a state
 *       {@code x} and a token embedding {@code y} are merged per attention head, {@code x + v(y) · cos(q(norm x),
 *       k(y))} — once on the target's feature and the next verified token ({@code clover.in.*}), and once per drafted
 *       token on the running state ({@code clover.rnn.*}, shared by all depths);
 *   <li><b>augmenting block</b>: one decoder layer of the target's shape ({@code clover.<attn_norm|wq|…>},
 *       {@code clover.final_norm}), causal over the prefix's fused rows, adapts the target's features for
 *       speculation (kept in its own KV cache, one forward per round).
 * </ul>
 * Depth 1 reads the augmented state {@code s_0}: {@code LM(norm_h(W_0 s_0 + b_0))}; depth k+1 reads
 * {@code s_k = rnn(s_{k-1}, E(y_k))}: {@code LM(norm_h(W [s_k, E(y_k)] + b))}, through the target's frozen LM head and
 * embedding (the reference's embedding copies the LM head; the target's own embedding here, tied for stories260K).
 * Tensors: {@code clover.in.norm} {@code [D]}, {@code clover.in.{q,k,v}.w} {@code [D, D]} and {@code .b} {@code [D]},
 * the same under {@code clover.rnn.}, {@code clover.head0.w} {@code [D, D]}, {@code clover.head0.b},
 * {@code clover.head.w} {@code [D, 2D]}, {@code clover.head.b}, {@code clover.head_norm} {@code [D]}, and the layer.
 * Initialised as the reference does: q, k, W_0 and W's first half the identity plus U(0, 0.01), v U(0, 0.01),
 * biases zero, norms one, the layer copied from a target layer. Loss: Medusa's {@code Σ_k λ^k CE_k} with the target's
 * distribution as the teacher (Clover-2's distillation; {@code --teacher-weight}). {@code count} heads = the depths
 * trained and drafted. Not inflatable for cost twins (the per-head cosine gates depend on the head width). Drafts the
 * dynamic tree ({@link CloverDrafter}).
 */
public final class CloverHeads implements HeadArchitecture {
    @Override
    public String id() {
        return "clover";
    }

    @Override
    public String description() {
        return "Clover regressive heads: attention decoder over the drafted tokens and an augmenting block (dynamic"
                + " tree)";
    }

    @Override
    public boolean hasBlocks() {
        return false;
    }

    @Override
    public boolean readsContext() {
        return true;
    }

    @Override
    public int maxDepth(DraftHeads heads) {
        return heads.count();
    }

    @Override
    public int evalDepth(DraftHeads heads) {
        return heads.count();
    }

    /** Attention heads of the fusion blocks: the target's, when they divide its width. */
    static int fusionHeads(LlamaConfig c) {
        return c.dim() % c.heads() == 0 ? c.heads() : 1;
    }

    @Override
    public Map<String, long[]> layout(LlamaConfig c, int count, int blocks) {
        long d = c.dim();
        Map<String, long[]> m = new LinkedHashMap<>();
        for (String f : new String[] {"clover.in.", "clover.rnn."}) {
            m.put(f + "norm", new long[] {d});
            for (String x : new String[] {"q", "k", "v"}) {
                m.put(f + x + ".w", new long[] {d, d});
                m.put(f + x + ".b", new long[] {d});
            }
        }
        m.put("clover.head0.w", new long[] {d, d});
        m.put("clover.head0.b", new long[] {d});
        m.put("clover.head.w", new long[] {d, 2 * d});
        m.put("clover.head.b", new long[] {d});
        m.put("clover.head_norm", new long[] {d});
        m.put("clover.final_norm", new long[] {d});
        DraftHeads.putDecoderLayout(m, "clover.", c);
        return m;
    }

    @Override
    public void init(Map<String, float[]> t, LlamaWeights w, int count, int blocks, int initLayer,
            SplittableRandom r) {
        int d = w.config().dim();
        for (String f : new String[] {"clover.in.", "clover.rnn."}) {
            java.util.Arrays.fill(t.get(f + "norm"), 1f);
            eyeUniform(t.get(f + "q.w"), d, d, r);
            eyeUniform(t.get(f + "k.w"), d, d, r);
            uniform(t.get(f + "v.w"), r);
        }
        eyeUniform(t.get("clover.head0.w"), d, d, r);
        eyeUniform(t.get("clover.head.w"), d, 2 * d, r);
        java.util.Arrays.fill(t.get("clover.head_norm"), 1f);
        java.util.Arrays.fill(t.get("clover.final_norm"), 1f);
        DraftHeads.copyDecoderLayer(t, "clover.", w, initLayer);
    }

    /** {@code [rows, cols]}: U(0, 0.01) plus the identity in the first {@code rows} columns. */
    private static void eyeUniform(float[] a, int rows, int cols, SplittableRandom r) {
        uniform(a, r);
        for (int i = 0; i < rows; i++) {
            a[i * cols + i] += 1f;
        }
    }

    private static void uniform(float[] a, SplittableRandom r) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextDouble() * 0.01);
        }
    }

    @Override
    public Map<String, float[]> inflate(DraftHeads heads, LlamaConfig twin, SplittableRandom random) {
        throw new IllegalArgumentException("clover heads cannot be inflated for a cost twin (the attention decoder's"
                + " per-head cosine gates change with the head width); train clover heads on the twin itself");
    }

    @Override
    public HeadTrainer.Loss defaultLoss() {
        return new HeadTrainer.Loss(0.8f, 1f, 0f, 0f, 1);
    }

    /** RMSNorm {@code w ⊙ x / sqrt(mean(x²) + eps)} over the last axis. */
    static NDArray rmsNorm(NDArray x, NDArray w, float eps) {
        return x.div(x.square().mean(new int[] {-1}, true).add(eps).sqrt()).mul(w);
    }

    /**
     * Clover's attention fusion of a state {@code x} {@code [..., D]} with a token embedding {@code y} {@code [..., D]}
     * (the reference's {@code ResAttentionBlock}): with {@code H} heads of width {@code D/H},
     * {@code q = W_q·norm(x) + b_q}, {@code k = W_k·y + b_k}, {@code v = W_v·y + b_v}; each head's value is gated by
     * the cosine of its query and key, {@code out = x + v_h · cos(q_h, k_h)}. Tensors {@code prefix.norm},
     * {@code prefix.q.w/.b}, {@code prefix.k.w/.b}, {@code prefix.v.w/.b}.
     */
    static NDArray fusion(Map<String, NDArray> p, String prefix, NDArray x, NDArray y, int heads, float eps) {
        NDArray q = Linear.linear(rmsNorm(x, p.get(prefix + "norm"), eps), p.get(prefix + "q.w"),
                p.get(prefix + "q.b")).singletonOrThrow();
        NDArray k = Linear.linear(y, p.get(prefix + "k.w"), p.get(prefix + "k.b")).singletonOrThrow();
        NDArray v = Linear.linear(y, p.get(prefix + "v.w"), p.get(prefix + "v.b")).singletonOrThrow();
        Shape s = q.getShape();
        long d = s.get(s.dimension() - 1);
        Shape split = s.slice(0, s.dimension() - 1).addAll(new Shape(heads, d / heads));
        NDArray qh = q.reshape(split);
        NDArray kh = k.reshape(split);
        NDArray dot = qh.mul(kh).sum(new int[] {-1}, true);
        NDArray norms = qh.square().sum(new int[] {-1}, true).sqrt().maximum((float) Math.sqrt(eps))
                .mul(kh.square().sum(new int[] {-1}, true).sqrt().maximum((float) Math.sqrt(eps)));
        NDArray gated = v.reshape(split).mul(dot.div(norms));
        return x.add(gated.reshape(s));
    }

    /** Depth 1's LM-head input from augmented states {@code s0} {@code [..., D]}. */
    static NDArray firstHead(Map<String, NDArray> p, NDArray s0, float eps) {
        return rmsNorm(Linear.linear(s0, p.get("clover.head0.w"), p.get("clover.head0.b"))
                .singletonOrThrow(), p.get("clover.head_norm"), eps);
    }

    /** Depth k+1's LM-head input from state {@code s} and the drafted token's embedding {@code e}. */
    static NDArray laterHead(Map<String, NDArray> p, NDArray s, NDArray e, float eps) {
        return rmsNorm(Linear.linear(NDArrays.concat(new NDList(s, e), -1), p.get("clover.head.w"),
                p.get("clover.head.b")).singletonOrThrow(), p.get("clover.head_norm"), eps);
    }

    @Override
    public Training training(DraftHeads init, LlamaWeights target, NDManager manager) {
        TrainableLlama layer = TrainableLlama.of(init.decoderLayer("clover.", target.embedding(), target.lmHead()));
        try {
            Map<String, NDArray> params = HeadMath.decoderParameters(layer, "clover.");
            for (String n : init.names()) {
                if (!params.containsKey(n)) {
                    params.putAll(HeadMath.trainable(init, manager, n));
                }
            }
            int heads = fusionHeads(init.target());
            float eps = init.target().rmsEps();
            return new Training() {
                @Override
                public Map<String, NDArray> parameters() {
                    return params;
                }

                @Override
                public NDArray[] losses(HeadBatch b) {
                    int t = b.length();
                    NDArray fused = fusion(params, "clover.in.", b.hidden(), b.embedTargets(0, t), heads, eps);
                    NDArray s = layer.forwardEmbeddings(b.manager(), fused).hidden();            // [B,T,D]
                    NDArray[] sum = HeadMath.zeroLosses(b.manager());
                    NDArray x0 = firstHead(params, s.get(new NDIndex(":, 0:" + (t - 1))), eps);
                    HeadMath.addDepthLoss(sum, b.depthLoss(x0, 1), 1f);
                    for (int k = 1; k < init.count() && k + 1 < t; k++) {
                        s = s.get(new NDIndex(":, 0:" + (t - k)));
                        NDArray e = b.embedTargets(k, t - k);
                        s = fusion(params, "clover.rnn.", s, e, heads, eps);
                        NDIndex rows = new NDIndex(":, 0:" + (t - k - 1));
                        NDArray x = laterHead(params, s.get(rows), e.get(rows), eps);
                        HeadMath.addDepthLoss(sum, b.depthLoss(x, k + 1), (float) Math.pow(b.loss().decay(), k));
                    }
                    return sum;
                }

                @Override
                public void close() {
                    layer.close();
                }
            };
        } catch (RuntimeException e) {
            layer.close();
            throw e;
        }
    }

    @Override
    public Runtime runtime(CausalLM target, DraftHeads heads, Map<String, NDArray> params) {
        return PrefixDecoderDrafter.runtime(target, heads, "clover.", (layer, shape) -> new CloverDrafter(target, layer, params, heads, shape));
    }

    /** {@code --drafter clover}. */
    public static final class Provider extends HeadsProvider {
        public Provider() {
            super(new CloverHeads());
        }
    }
}
