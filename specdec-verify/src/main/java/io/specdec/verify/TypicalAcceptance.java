package io.specdec.verify;

import io.specdec.sampling.Distributions;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Typical acceptance (Medusa, Cai et al. 2024) — <b>lossy, opt-in</b>: a candidate x at a node is accepted when
 * {@code p(x) > min(epsilon, delta · exp(-H(p)))}, {@code H} the entropy of the target distribution there. Among the
 * accepted children the walk follows the most probable one; where none passes, the next token is the target's argmax
 * (greedy requests) or a sample from {@code p}. Output is <em>not</em> distributed as the target's. Defaults
 * ε = 0.09, δ = 0.3 (Medusa's). Stateless.
 */
public final class TypicalAcceptance implements AcceptancePolicy {
    private final float epsilon;
    private final float delta;
    private final boolean greedy;

    /** @param greedy whether the request is greedy (the fallback token is then the argmax) */
    public TypicalAcceptance(float epsilon, float delta, boolean greedy) {
        this.epsilon = epsilon;
        this.delta = delta;
        this.greedy = greedy;
    }

    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            float[] pr = p.apply(node);
            double h = 0;
            for (float v : pr) {
                if (v > 0) {
                    h -= v * Math.log(v);
                }
            }
            double threshold = Math.min(epsilon, delta * Math.exp(-h));
            int next = -1;
            for (int c : tree.children(node)) {
                float px = pr[tree.token(c)];
                if (px > threshold && (next < 0 || px > pr[tree.token(next)])) {
                    next = c;
                }
            }
            if (next < 0) {
                int y = greedy ? Distributions.argmax(pr) : Distributions.sample(pr, rng);
                return new Acceptance(Arrays.copyOf(path, n), y);
            }
            path[n++] = next;
            node = next;
        }
    }

    @Override
    public boolean isLossless() {
        return false;
    }

    @Override
    public String name() {
        return "typical(" + epsilon + "," + delta + ")";
    }
}
