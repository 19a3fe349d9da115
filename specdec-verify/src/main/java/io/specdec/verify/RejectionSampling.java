package io.specdec.verify;

import io.specdec.sampling.Distributions;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Lossless speculative sampling for chains and trees. At each node, with the target distribution {@code p'} (a copy
 * of {@code p} at the node), children are tried in draft order:
 * <ul>
 *   <li>a child sampled from a draft distribution {@code q} is accepted with probability {@code min(1, p'(x)/q(x))};
 *       on rejection {@code p' ← norm(max(0, p' − q))} (Leviathan et al. 2023 for chains; SpecInfer's recursive
 *       rejection sampling for i.i.d. siblings; reference: vLLM {@code rejection_sampler.py});
 *   <li>a deterministic child (point mass: greedy, top-k, lookup) is accepted with probability {@code p'(x)}; on
 *       rejection {@code p'(x) ← 0}, renormalised (EAGLE {@code evaluate_posterior}) — lossless for any
 *       deterministic candidate set.
 * </ul>
 * When no child is accepted the corrected token is drawn from {@code p'}; after a leaf the bonus token is drawn from
 * {@code p} at the leaf. With one-hot (greedy) target distributions this reduces to greedy verification.
 * Stateless; the randomness comes from the request's RNG.
 */
public final class RejectionSampling implements AcceptancePolicy {
    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        return walk(tree, p, rng, (residual, mass, x) -> residual[x]);
    }

    /** The target mass a walk credits to draft token x at a node: {@code residual[x]}, or more for a relaxed rule. */
    @FunctionalInterface
    interface Credit {
        double of(double[] residual, double mass, int x);
    }

    /**
     * The walk of the class comment with the accept test {@code u · q(x) · mass < credit(x)} ({@code q(x) = 1} for a
     * deterministic child); rejection sampling credits {@code residual[x]}, LANTERN its relaxed mass.
     */
    static Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng, Credit credit) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int[] children = tree.children(node);
            float[] target = p.apply(node);
            if (children.length == 0) {
                return new Acceptance(Arrays.copyOf(path, n), Distributions.sample(target, rng));
            }
            // p' = residual / mass, kept unnormalised
            double[] residual = new double[target.length];
            double mass = 0;
            for (int i = 0; i < residual.length; i++) {
                residual[i] = target[i];
                mass += target[i];
            }
            int next = -1;
            for (int c : children) {
                if (!(mass > 1e-12)) {
                    break; // p' has no mass left (every token it supports was rejected)
                }
                int x = tree.token(c);
                float[] q = tree.q(c);
                double u = rng.nextDouble();
                double px = credit.of(residual, mass, x);
                if (q == null) {
                    if (u * mass < px) {
                        next = c;
                        break;
                    }
                    mass -= residual[x];
                    residual[x] = 0;
                } else {
                    if (!(q[x] > 0)) {
                        throw new IllegalStateException("draft token " + x + " has q = 0: it cannot have been sampled");
                    }
                    if (u * q[x] * mass < px) {
                        next = c;
                        break;
                    }
                    double newMass = 0;
                    for (int i = 0; i < residual.length; i++) {
                        double r = residual[i] / mass - q[i];
                        residual[i] = r > 0 ? r : 0;
                        newMass += residual[i];
                    }
                    mass = newMass;
                }
            }
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), sample(residual, rng, target));
            }
            path[n++] = next;
            node = next;
        }
    }

    /** A draw from the unnormalised weights {@code w}, or from {@code fallback} when they carry no mass. */
    static int sample(double[] w, SplittableRandom rng, float[] fallback) {
        double total = 0;
        for (double v : w) {
            total += Math.max(0, v);
        }
        if (!(total > 0)) {
            return Distributions.sample(fallback, rng);
        }
        double u = rng.nextDouble() * total;
        double cum = 0;
        int last = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                cum += w[i];
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last;
    }

    @Override
    public boolean isLossless() {
        return true;
    }

    @Override
    public String name() {
        return "rejection-sampling";
    }
}
