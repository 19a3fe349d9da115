package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.specdec.train.TrainableLlama;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** Every tensor of {@code init} (or only {@code names}) as a trainable array in {@code m}. */
    static Map<String, NDArray> trainable(DraftHeads init, NDManager m, String... names) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String n : names.length == 0 ? init.names() : List.of(names)) {
            NDArray a = m.create(init.tensor(n), new Shape(init.shapes().get(n)));
            a.setRequiresGradient(true);
            out.put(n, a);
        }
        return out;
    }

    /**
     * A one-layer {@link TrainableLlama}'s layer and final norm as trainable parameters named as in the heads file
     * ({@code prefix + "wq"}, …, {@code prefix + "final_norm"}); its embedding and LM head stay frozen.
     */
    static Map<String, NDArray> decoderParameters(TrainableLlama layer, String prefix) {
        layer.setTrainable(n -> n.startsWith("layers.") || n.equals("final_norm"));
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> p : layer.parameters().entrySet()) {
            if (p.getValue().hasGradient()) {
                String n = p.getKey();
                out.put(n.equals("final_norm") ? prefix + "final_norm" : prefix + n.substring("layers.0.".length()),
                        p.getValue());
            }
        }
        return out;
    }

    /** {0, 0, 0}: the running {total, CE sum, count} of a multi-depth loss. */
    static NDArray[] zeroLosses(NDManager m) {
        return new NDArray[] {m.zeros(new Shape()), m.zeros(new Shape()), m.zeros(new Shape())};
    }

    /** Adds one depth's {mean loss, CE sum, count} to {@code sum} with weight {@code w} on the loss. */
    static void addDepthLoss(NDArray[] sum, NDArray[] depth, float w) {
        sum[0] = sum[0].add(depth[0].mul(w));
        sum[1] = sum[1].add(depth[1]);
        sum[2] = sum[2].add(depth[2]);
    }

    /** {@code f} with uniform noise of ±{@code noise}·rms(f) while training (EAGLE's input-feature noise). */
    static NDArray noisy(HeadBatch b, NDArray f) {
        if (!b.training() || b.loss().noise() <= 0) {
            return f;
        }
        float rms = f.square().mean().sqrt().getFloat();
        float a = b.loss().noise() * rms;
        float[] u = new float[(int) f.getShape().size()];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) ((b.noise().nextDouble() * 2 - 1) * a);
        }
        return f.add(b.manager().create(u, f.getShape()));
    }

    /** LM-head input of head {@code k} (0-based) for window positions {@code 0 .. T-k-2}: {@code [B, T-k-1, D]}. */
    interface DepthHead {
        NDArray input(Map<String, NDArray> params, HeadBatch batch, int k);
    }

    /**
     * The training of independent per-depth heads (Medusa, Hydra): every tensor of the file trainable, loss
     * {@code Σ_k λ^k · loss_k} with head k predicting {@code d = k+1} places ahead ({@link HeadBatch#depthLoss}).
     */
    static HeadArchitecture.Training perDepth(DraftHeads init, NDManager manager, DepthHead head) {
        Map<String, NDArray> params = trainable(init, manager);
        return new HeadArchitecture.Training() {
            @Override
            public Map<String, NDArray> parameters() {
                return params;
            }

            @Override
            public NDArray[] losses(HeadBatch b) {
                NDArray[] sum = zeroLosses(b.manager());
                for (int k = 0; k < init.count() && k + 1 < b.length(); k++) {
                    addDepthLoss(sum, b.depthLoss(head.input(params, b, k), k + 1),
                            (float) Math.pow(b.loss().decay(), k));
                }
                return sum;
            }
        };
    }
}
