package io.specdec.speculation;

/**
 * The decode loop's stop rule ({@link CandidateLengthController}): applies a controller's verdicts to a proposed tree,
 * and, for drafters that draft a chain token by token, answers the same verdict while drafting. Stateless apart from
 * the running chain of {@link Chain}.
 */
public final class DraftGate {
    private DraftGate() {}

    /**
     * The nodes of {@code tree} the controller admits: visited in topological order, a node is dropped when its
     * parent was, when its level already holds {@link CandidateLengthController#maxWidth} nodes or when
     * {@link CandidateLengthController#admit} says {@link CandidateLengthController#STOP}.
     */
    public static DraftTree apply(CandidateLengthController controller, DraftTree tree) {
        int n = tree.size();
        if (n == 0) {
            return tree;
        }
        boolean[] keep = new boolean[n];
        double[] path = new double[n];
        double[] expected = new double[n];
        int[] width = new int[tree.maxDepth() + 1];
        for (int j = 0; j < n; j++) {
            int p = tree.parent(j);
            if (p >= 0 && !keep[p]) {
                continue;
            }
            int d = tree.depth(j);
            if (width[d] >= controller.maxWidth(d)) {
                continue;
            }
            double above = p < 0 ? 1 : path[p];
            double sum = p < 0 ? 0 : expected[p];
            double a = controller.admit(new CandidateLengthController.DraftStep(d, tree.token(j),
                    visible(tree.signals(j), !tree.isPointMass(j)), above, sum));
            if (a == CandidateLengthController.STOP) {
                continue;
            }
            keep[j] = true;
            width[d]++;
            path[j] = above * clamp(a);
            expected[j] = sum + path[j];
        }
        return tree.retain(keep);
    }

    /** A drafted token's signals as a verdict may see them: a sampled token's own probability is hidden. */
    static DraftSignals visible(DraftSignals s, boolean sampled) {
        if (s == null || !sampled) {
            return s;
        }
        return new DraftSignals(Float.NaN, s.topProbability(), s.margin(), s.entropy(), s.features());
    }

    private static double clamp(double a) {
        return Double.isNaN(a) ? 1 : Math.max(0, Math.min(1, a));
    }

    /**
     * The verdicts on a chain drafted token by token (depth 1, 2, …): {@link #admit} says whether to keep the token
     * just drafted (and go on); false means drop it and stop. The same verdicts {@link #apply} gives afterwards.
     * Not thread-safe: one per proposal ({@link DraftContext#gate()}).
     */
    public static final class Chain {
        private final CandidateLengthController controller;
        private int depth;
        private double path = 1;
        private double expected;

        public Chain(CandidateLengthController controller) {
            this.controller = controller;
        }

        /**
         * @param token the token just drafted
         * @param signals what the drafter knew
         * @param sampled true when the token was drawn from a draft distribution (not a point mass)
         */
        public boolean admit(int token, DraftSignals signals, boolean sampled) {
            if (controller == null) {
                depth++;
                return true;
            }
            if (controller.maxWidth(depth + 1) < 1) {
                return false;
            }
            double a = controller.admit(new CandidateLengthController.DraftStep(depth + 1, token,
                    visible(signals, sampled), path, expected));
            if (a == CandidateLengthController.STOP) {
                return false;
            }
            depth++;
            path *= clamp(a);
            expected += path;
            return true;
        }
    }
}
