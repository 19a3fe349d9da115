package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import java.util.Map;

/**
 * The head arithmetic, in DJL ops on whatever device the arrays live on, shared by training (under a gradient
 * collector) and drafting (plain forward): one implementation of each head. {@code p} is the heads' parameter map
 * ({@link DraftHeads} names); shapes are {@code [..., width]} with the width last. Stateless.
 */
public final class HeadMath {
    private HeadMath() {}

    /** {@code x · SiLU}: {@code x · sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.getNDArrayInternal().sigmoid().mul(x);
    }

    /** A Medusa residual block: {@code x + SiLU(W x + b)}. */
    public static NDArray block(NDArray x, NDArray w, NDArray b) {
        return x.add(silu(Linear.linear(x, w, b).singletonOrThrow()));
    }

    /** Medusa head {@code k} on hidden states {@code [..., D]}: the LM head's input {@code [..., D]}. */
    static NDArray medusa(Map<String, NDArray> p, int k, int blocks, NDArray h) {
        NDArray x = h;
        for (int b = 0; b < blocks; b++) {
            x = block(x, p.get("medusa." + k + "." + b + ".w"), p.get("medusa." + k + "." + b + ".b"));
        }
        return x;
    }

    /**
     * Hydra head {@code k} on {@code z = concat(h, E(y_1), …, E(y_{k+1}))} {@code [..., (k+2)D]}: block 0 is
     * {@code R z + SiLU(W z + b)} (Hydra's ResBlock with a projected residual), then Medusa blocks.
     */
    static NDArray hydra(Map<String, NDArray> p, int k, int blocks, NDArray z) {
        String pre = "hydra." + k + ".";
        NDArray x = Linear.linear(z, p.get(pre + "0.r")).singletonOrThrow()
                .add(silu(Linear.linear(z, p.get(pre + "0.w"), p.get(pre + "0.b")).singletonOrThrow()));
        for (int b = 1; b < blocks; b++) {
            x = block(x, p.get(pre + b + ".w"), p.get(pre + b + ".b"));
        }
        return x;
    }

    /** EAGLE's fused input {@code fc(concat(E(token), feature))}: {@code [..., D]} each → {@code [..., D]}. */
    static NDArray eagleInput(Map<String, NDArray> p, NDArray embedding, NDArray feature) {
        NDArray cat = NDArrays.concat(new NDList(embedding, feature), -1);
        return Linear.linear(cat, p.get("eagle.fc.w"), p.get("eagle.fc.b")).singletonOrThrow();
    }
}
