package io.specdec.verify;

import io.specdec.sampling.Distributions;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Greedy verification (ALGORITHMS.md §1–2): from the root, move to the child carrying the target's argmax while one
 * exists; emit the path plus the target's argmax at the last node. Lossless for greedy decoding. Stateless.
 */
public final class GreedyAcceptance implements AcceptancePolicy {
    @Override
    public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
        return walkArgmax(tree, node -> Distributions.argmax(p.apply(node)));
    }

    @Override
    public Acceptance walkArgmax(DraftTree tree, IntUnaryOperator argmax) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int choice = argmax.applyAsInt(node);
            int next = -1;
            for (int c : tree.children(node)) {
                if (tree.token(c) == choice) {
                    next = c;
                    break;
                }
            }
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), choice);
            }
            path[n++] = next;
            node = next;
        }
    }

    @Override
    public boolean isLossless() {
        return true;
    }

    /** Greedy acceptance keeps only greedy requests exact (it compares with the target's argmax). */
    @Override
    public boolean supports(io.specdec.sampling.SamplingConfig sampling) {
        return sampling.isGreedy();
    }

    @Override
    public String name() {
        return "greedy";
    }
}
