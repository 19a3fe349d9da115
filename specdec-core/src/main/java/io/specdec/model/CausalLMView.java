package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A {@link CausalLM} in front of another: the model's read-only parts (config, embedding, final norm, LM head, kernel
 * and cost key) pass through unchanged; a view changes how caches are made or forwards are run
 * ({@link PrefixReuse}, {@link BatchedModel}). Closing a view never closes the model behind it.
 */
abstract class CausalLMView implements CausalLM {
    /** The model behind this view. */
    protected final CausalLM inner;

    CausalLMView(CausalLM inner) {
        this.inner = inner;
    }

    @Override
    public LlamaConfig config() {
        return inner.config();
    }

    @Override
    public NDArray embed(NDManager manager, int[] tokens) {
        return inner.embed(manager, tokens);
    }

    @Override
    public NDArray finalNorm(NDArray hidden) {
        return inner.finalNorm(hidden);
    }

    @Override
    public NDArray lmHead(NDArray normed) {
        return inner.lmHead(normed);
    }

    @Override
    public float[] logitsFromHidden(float[] hidden, int t) {
        return inner.logitsFromHidden(hidden, t);
    }

    @Override
    public String kernel() {
        return inner.kernel();
    }

    @Override
    public String costKey() {
        return inner.costKey();
    }
}
