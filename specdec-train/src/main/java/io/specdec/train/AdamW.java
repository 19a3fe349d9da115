package io.specdec.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) with bias correction and global
 * gradient-norm clipping, over named NDArray parameters. DJL's own {@code ai.djl.training.optimizer.AdamW} computes
 * the same update but keeps its moments private, so a checkpoint could not resume it exactly; this class exposes its
 * state ({@link #moments}, {@link #step}) for {@link LlamaTrainer}'s checkpoints.
 *
 * <p>Update per parameter {@code w} with gradient {@code g} at step {@code t} (1-based), learning rate {@code lr}:
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd w)},
 * weight decay only on matrices (2-D parameters), never on norms or biases. Not thread-safe.
 */
public final class AdamW {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private int step;

    /**
     * @param beta1 first-moment decay (0.9 typical)
     * @param beta2 second-moment decay (0.95 typical for language models)
     * @param eps denominator guard (1e-8)
     * @param weightDecay decoupled decay on matrices (0.1 typical)
     */
    public AdamW(float beta1, float beta2, float eps, float weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Updates done so far. */
    public int step() {
        return step;
    }

    /** The moments by parameter name: {@code [m, v]} (live arrays; for checkpoints). */
    public Map<String, NDArray[]> moments() {
        return moments;
    }

    /** Restores a checkpointed state (moments copied into {@code manager}). */
    public void restore(int step, Map<String, float[][]> state, Map<String, NDArray> params, NDManager manager) {
        this.step = step;
        for (Map.Entry<String, float[][]> e : state.entrySet()) {
            NDArray p = params.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("optimizer state for unknown parameter '" + e.getKey() + "'");
            }
            if (e.getValue()[0].length != p.size()) {
                throw new IllegalArgumentException("optimizer state for " + e.getKey() + " has "
                        + e.getValue()[0].length + " elements, the parameter " + p.size());
            }
            moments.put(e.getKey(), new NDArray[] {manager.create(e.getValue()[0], p.getShape()),
                manager.create(e.getValue()[1], p.getShape())});
        }
    }

    /**
     * Clips the gradients of {@code params} (those that have one) to global L2 norm {@code clip} (0: no clipping),
     * applies one AdamW step at {@code lr}, and zeroes the gradients. Returns the norm before clipping. When that norm is
     * not finite the step is skipped (weights, moments and the step count unchanged; gradients zeroed) and the
     * non-finite norm is returned.
     */
    public float update(Map<String, NDArray> params, float lr, float clip, NDManager manager) {
        step++;
        Map<String, NDArray> grads = new LinkedHashMap<>();
        try (NDManager sub = manager.newSubManager()) {
            double sq = 0;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                if (e.getValue().hasGradient()) {
                    NDArray g = e.getValue().getGradient();
                    g.tempAttach(sub); // every temporary computed from g lands in sub, freed below
                    grads.put(e.getKey(), g);
                    sq += g.square().sum().getFloat();
                }
            }
            float norm = (float) Math.sqrt(sq);
            if (!Float.isFinite(norm)) { // a non-finite gradient: skip the step, keep weights and moments
                step--;
                for (NDArray g : grads.values()) {
                    zero(g);
                }
                return norm;
            }
            float scale = clip > 0 && norm > clip ? clip / norm : 1f;
            float bc1 = (float) (1 - Math.pow(beta1, step));
            float bc2 = (float) (1 - Math.pow(beta2, step));
            for (Map.Entry<String, NDArray> e : grads.entrySet()) {
                NDArray w = params.get(e.getKey());
                NDArray g = e.getValue();
                if (scale != 1f) {
                    g.muli(scale);
                }
                NDArray[] mv = moments.computeIfAbsent(e.getKey(),
                        k -> new NDArray[] {manager.zeros(w.getShape()), manager.zeros(w.getShape())});
                mv[0].muli(beta1).addi(g.mul(1 - beta1));
                mv[1].muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray upd = g.zerosLike().addi(mv[0]).divi(bc1)
                        .divi(g.zerosLike().addi(mv[1]).divi(bc2).sqrt().addi(eps));
                if (weightDecay > 0 && w.getShape().dimension() >= 2) {
                    upd.addi(g.zerosLike().addi(w).muli(weightDecay));
                }
                // through a detached view (same storage): an in-place write to a leaf that requires a gradient is
                // refused while the engine's grad mode is on, which is PyTorch's default outside a collector
                try (NDArray view = w.stopGradient()) {
                    view.subi(upd.muli(lr));
                }
                g.muli(0f);
            }
            return norm;
        } finally {
            for (NDArray g : grads.values()) {
                g.close();
            }
        }
    }

    /** Zeroes the gradients of {@code params} without updating anything (a skipped step), NaN entries included. */
    public void discard(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            if (p.hasGradient()) {
                try (NDArray g = p.getGradient()) {
                    zero(g);
                }
            }
        }
    }

    /**
     * Zeroes a gradient in place so that it really is zero: {@code g * 0} keeps NaN (and turns ±inf into NaN), and
     * the gradient collector's own zeroing ({@code g - g}) keeps it too, so one non-finite backward would poison
     * every later step. The multiply is followed by a masked write of 0 where NaN remains.
     */
    static void zero(NDArray g) {
        g.muli(0f);
        try (NDArray bad = g.isNaN()) {
            if (bad.any().getBoolean()) {
                g.set(bad, 0f);
            }
        }
    }
}
