package io.specdec.verify;

import io.specdec.sampling.Distributions;
import io.specdec.speculation.AcceptancePolicy.Acceptance;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The greedy walk that the lossy judges widen ({@link JudgeAcceptance}, {@link RouterAcceptance}): at each node the
 * child that is the target's argmax is taken; otherwise the first child the classifier keeps; otherwise the walk ends
 * with the target's argmax as the next token. Stateless.
 */
final class WidenedGreedyWalk {
    private WidenedGreedyWalk() {}

    /** @param keep whether a child that is not the target's argmax is accepted anyway */
    static Acceptance walk(DraftTree tree, IntFunction<float[]> p, IntPredicate keep) {
        int[] path = new int[tree.maxDepth()];
        int n = 0;
        int node = -1;
        while (true) {
            int y = Distributions.argmax(p.apply(node));
            int next = -1;
            int kept = -1;
            for (int c : tree.children(node)) {
                if (tree.token(c) == y) {
                    next = c;
                    break;
                }
                if (kept < 0 && keep.test(c)) {
                    kept = c;
                }
            }
            if (next < 0) {
                next = kept;
            }
            if (next < 0) {
                return new Acceptance(Arrays.copyOf(path, n), y);
            }
            path[n++] = next;
            node = next;
        }
    }
}
