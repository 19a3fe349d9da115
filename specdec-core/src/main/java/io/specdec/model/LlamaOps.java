package io.specdec.model;

import java.util.List;

/**
 * The operations one Llama-family forward is written against ({@link LlamaForward}); a backend implements them on its
 * own activations {@code X} and its own copy of the weights: {@link HostForward} on Java arrays over weights in their
 * storage format (the CPU path), {@link TorchForward} on DJL NDArrays (the GPU path, the {@code torch} kernel on a CPU,
 * and the training forward under a {@code GradientCollector}). The pattern is Jlama's {@code TensorOperations} provider
 * split and ggml's op graph (read, not copied): the model's semantics live once, the kernels behind an interface.
 *
 * <p>An instance serves one forward (or one stand-alone norm/head call): it knows the rows' positions, the attention
 * mask and the KV cache it writes, so the ops take only activations and weight names. Activations are row blocks
 * {@code [rows, width]} (the torch training forward adds a leading batch axis); what {@link #rope} returns is only
 * passed to {@link #attention} of the same instance, so a backend may keep it in any layout (scaled, reshaped).
 *
 * @param <X> the backend's activation type
 */
public interface LlamaOps<X> {
    /** The weights a forward names: per layer the first nine, then the final norm and the LM head (layer -1). */
    enum Weight { ATTN_NORM, WQ, WK, WV, WO, FFN_NORM, GATE, UP, DOWN, FINAL_NORM, OUTPUT }

    /** RMSNorm over the last axis: {@code x / sqrt(mean(x²) + eps) · w}, with {@code w} the norm weight named. */
    X rmsNorm(X x, int layer, Weight norm);

    /**
     * {@code x · Wᵀ} for each weight named, in order; q/k/v add their bias where the config has one. Weights sharing
     * the input may run as one job (q/k/v, gate/up); the results are the separate outputs.
     */
    List<X> project(X x, int layer, Weight... weights);

    /** RoPE on the q and k projections at the forward's positions, in the weights' pairing; returns {q, k}. */
    List<X> rope(X q, X k);

    /**
     * Grouped-query attention of this forward's rows: k and v are written to layer {@code layer}'s cache slots (when
     * there is a cache), then {@code softmax(q·kᵀ/sqrt(headDim) + mask)·v} over the visible slots; returns
     * {@code [rows, heads·headDim]}.
     */
    X attention(int layer, X q, X k, X v);

    /** {@code silu(gate) · up}, element-wise. */
    X swiglu(X gate, X up);

    /** The residual update {@code x + delta} (a backend may update {@code x} in place and return it). */
    X residual(X x, X delta);

    /** A copy of {@code x} that later in-place updates do not touch (captured hidden states). */
    X keep(X x);
}
