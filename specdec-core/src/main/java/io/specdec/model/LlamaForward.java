package io.specdec.model;

import java.util.List;

/**
 * The Llama-family decoder, written once against {@link LlamaOps}: per layer RMSNorm, the q/k/v projections (with
 * bias for Qwen2-style configs), RoPE, grouped-query attention over the tree-masked KV cache, the output projection
 * and residual, RMSNorm, gate/up, SwiGLU, the down projection and residual; then the final norm and the LM head. The
 * host backend ({@link HostForward}), the torch backend ({@link TorchForward}, inference and training) and every
 * caller (verifier, drafters, trainers) run this one definition. Stateless and thread-safe.
 */
public final class LlamaForward {
    private LlamaForward() {}

    /**
     * Runs decoder layers {@code [0, exit)} on the input rows {@code x}; the residual stream after layer
     * {@code capture[i]} (1-based) is kept in {@code kept[i]}.
     *
     * @return the residual stream after layer {@code exit}
     */
    public static <X> X layers(LlamaOps<X> ops, X x, int exit, int[] capture, List<X> kept) {
        for (int l = 0; l < exit; l++) {
            X h = ops.rmsNorm(x, l, LlamaOps.Weight.ATTN_NORM);
            List<X> qkv = ops.project(h, l, LlamaOps.Weight.WQ, LlamaOps.Weight.WK, LlamaOps.Weight.WV);
            List<X> qk = ops.rope(qkv.get(0), qkv.get(1));
            X att = ops.attention(l, qk.get(0), qk.get(1), qkv.get(2));
            x = ops.residual(x, ops.project(att, l, LlamaOps.Weight.WO).get(0));
            h = ops.rmsNorm(x, l, LlamaOps.Weight.FFN_NORM);
            List<X> gu = ops.project(h, l, LlamaOps.Weight.GATE, LlamaOps.Weight.UP);
            x = ops.residual(x, ops.project(ops.swiglu(gu.get(0), gu.get(1)), l, LlamaOps.Weight.DOWN).get(0));
            for (int k = 0; k < capture.length; k++) {
                if (capture[k] == l + 1) {
                    kept.set(k, ops.keep(x));
                }
            }
        }
        return x;
    }

    /** The final RMSNorm: the LM head's input. */
    public static <X> X finalNorm(LlamaOps<X> ops, X x) {
        return ops.rmsNorm(x, -1, LlamaOps.Weight.FINAL_NORM);
    }

    /** The LM head (the output matrix, or the embedding when tied) on final-norm rows: logits. */
    public static <X> X lmHead(LlamaOps<X> ops, X normed) {
        return ops.project(normed, -1, LlamaOps.Weight.OUTPUT).get(0);
    }

    /**
     * The RoPE angles of every position: {@code {cos, sin}}, each {@code [context, headDim/2]} row-major; pair i of a
     * head turns by {@code position · theta^(-2i/headDim)}, in llama2.c's float math ({@code 1.0f / powf(theta, 2i /
     * (float) hd)}), which the golden outputs were made with; then stretched by the config's {@link RopeScaling}
     * (inverse frequencies rescaled; yarn also multiplies cos and sin by its attention factor).
     */
    static float[][] ropeTables(LlamaConfig c) {
        int half = c.headDim() / 2;
        float[] cos = new float[c.contextLength() * half];
        float[] sin = new float[cos.length];
        double[] base = new double[half];
        for (int j = 0; j < half; j++) {
            base[j] = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * j) / (double) c.headDim()));
        }
        RopeScaling rs = c.ropeScaling();
        double[] inv = rs.apply(c.ropeTheta(), c.headDim(), base);
        double m = rs.attentionFactor();
        for (int j = 0; j < half; j++) {
            float f = (float) inv[j];
            for (int p = 0; p < c.contextLength(); p++) {
                float a = p * f;
                cos[p * half + j] = (float) (Math.cos(a) * m);
                sin[p * half + j] = (float) (Math.sin(a) * m);
            }
        }
        return new float[][] {cos, sin};
    }
}
