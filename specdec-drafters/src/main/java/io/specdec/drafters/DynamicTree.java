package io.specdec.drafters;

import io.specdec.sampling.TopK;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EAGLE-2 dynamic draft tree (Li et al. 2024, arXiv:2406.16858; reference SafeAILab/EAGLE {@code topK_generate};
 * ALGORITHMS.md §11), the one tree-growing strategy of the library's model-based drafters (the draft model's tree
 * mode and every head architecture): the root's children are the {@code topK} most likely tokens; at each further
 * depth the {@code topK} nodes of the newest level with the highest cumulative draft log-probability (the sum along
 * the path) are expanded in one batched call, each into its {@code topK} children; finally every drafted node is
 * reranked by that value and the best {@code budget} form the tree (a child never scores above its parent, so the
 * kept set is a tree; ties keep the shallower node first). Expansion stops early once no frontier node can still
 * enter the best {@code budget}. Children with zero probability (or non-finite scores, from a broken drafter) are
 * never drafted. All candidates are point masses, which the lossless tree rule requires for top-k expansion.
 *
 * <p>The drafter supplies the distributions through an {@link Expansion}; rows are logits or log-probabilities
 * ({@code [vocab]}; any row whose softmax is the drafting distribution). Immutable and thread-safe; the expansion is
 * the caller's.
 *
 * @param <S> per-node state the expansion keeps (a cache row, a feature, a recurrent state); may be unused
 */
public final class DynamicTree<S> {
    private final int depth;
    private final int topK;
    private final int budget;

    /**
     * @param depth levels to draft at most (≥ 1)
     * @param topK children per expanded node and nodes expanded per level (≥ 1)
     * @param budget nodes kept (≥ 1; the round budget caps it further)
     */
    public DynamicTree(int depth, int topK, int budget) {
        if (depth < 1 || topK < 1 || budget < 1) {
            throw new IllegalArgumentException("dynamic tree needs depth, top-k and budget >= 1, found " + depth + ", "
                    + topK + ", " + budget);
        }
        this.depth = depth;
        this.topK = topK;
        this.budget = budget;
    }

    /** Levels drafted at most. */
    public int depth() {
        return depth;
    }

    /** Children per expanded node. */
    public int topK() {
        return topK;
    }

    /** Nodes kept at most. */
    public int budget() {
        return budget;
    }

    /** A drafted node: its token, parent, depth (1 = a child of the root), cumulative log-probability and state. */
    public static final class Node<S> {
        private final int token;
        private final Node<S> parent;
        private final int depth;
        private final double score;
        private DraftSignals signals;
        /** What the expansion keeps for this node (set by it; null until then). */
        public S state;

        /** A node for {@code token} under {@code parent} (null = the root) with cumulative log-probability score. */
        public Node(int token, Node<S> parent, double score) {
            this.token = token;
            this.parent = parent;
            this.depth = parent == null ? 1 : parent.depth + 1;
            this.score = score;
        }

        public int token() {
            return token;
        }

        /** The parent node; null for a child of the root. */
        public Node<S> parent() {
            return parent;
        }

        public int depth() {
            return depth;
        }

        /** Cumulative draft log-probability along the path. */
        public double score() {
            return score;
        }

        /** Tokens root → this node (root excluded). */
        public int[] path() {
            int[] p = new int[depth];
            Node<S> n = this;
            for (int i = depth - 1; i >= 0; i--) {
                p[i] = n.token;
                n = n.parent;
            }
            return p;
        }
    }

    /**
     * What the drafter computes for the tree. Called in order: {@link #root}, then {@link #expand} once per further
     * level, then {@link #finish} (always, also after a failure).
     */
    public interface Expansion<S> {
        /** The depth-1 row (logits or log-probabilities, {@code [vocab]}). */
        float[] root();

        /** One row per frontier node (all of one depth), in the frontier's order. */
        float[][] expand(List<Node<S>> frontier);

        /**
         * The feature vector the signals of {@code parent}'s children carry for the length controller (what produced
         * their distribution); null for none. {@code parent} is null for the root's children.
         */
        default float[] feature(Node<S> parent) {
            return null;
        }

        /** After the last expansion (drop a round's cache rows, for example). */
        default void finish() {}
    }

    /** Grows the tree with {@code e} under {@code min(roundBudget, budget)} nodes, at most {@code maxDepth} deep. */
    public DraftTree draft(int roundBudget, int maxDepth, Expansion<S> e) {
        int b = Math.min(roundBudget, budget);
        List<Node<S>> all = new ArrayList<>();
        if (b < 1) {
            e.finish();
            return DraftTree.empty();
        }
        try {
            List<Node<S>> frontier = children(null, e.root(), 1, e);
            all.addAll(frontier);
            int maxD = Math.min(depth, maxDepth);
            for (int d = 2; d <= maxD && !frontier.isEmpty(); d++) {
                if (all.size() >= b && frontier.get(0).score < kth(all, b)) {
                    break; // no descendant of the frontier can enter the best b
                }
                float[][] rows = e.expand(frontier);
                List<Node<S>> next = new ArrayList<>();
                for (int i = 0; i < frontier.size(); i++) {
                    next.addAll(children(frontier.get(i), rows[i], d, e));
                }
                all.addAll(next);
                next.sort(byScore());
                frontier = next.subList(0, Math.min(topK, next.size()));
            }
        } finally {
            e.finish();
        }
        all.sort(byScore());
        int n = Math.min(b, all.size());
        Map<Node<S>, Integer> index = new IdentityHashMap<>();
        int[] tk = new int[n];
        int[] pa = new int[n];
        DraftSignals[] sg = new DraftSignals[n];
        for (int i = 0; i < n; i++) {
            Node<S> x = all.get(i);
            tk[i] = x.token;
            sg[i] = x.signals;
            Integer p = x.parent == null ? Integer.valueOf(-1) : index.get(x.parent);
            if (p == null) {
                throw new IllegalStateException("dynamic tree kept a node without its parent");
            }
            pa[i] = p;
            index.put(x, i);
        }
        return new DraftTree(tk, pa, new float[n][], sg);
    }

    private Comparator<Node<S>> byScore() {
        return (a, c) -> {
            int r = Double.compare(c.score, a.score);
            return r != 0 ? r : Integer.compare(a.depth, c.depth);
        };
    }

    private static double kth(List<? extends Node<?>> all, int k) {
        double[] s = new double[all.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = all.get(i).score();
        }
        Arrays.sort(s);
        return s[s.length - k];
    }

    private List<Node<S>> children(Node<S> parent, float[] row, int d, Expansion<S> e) {
        double base = parent == null ? 0 : parent.score;
        int[] top = TopK.indices(row, topK);
        double lz = TopK.logSumExp(row);
        List<Node<S>> out = new ArrayList<>(top.length);
        if (!Double.isFinite(lz)) {
            return out; // an all -inf or non-finite row: nothing to draft
        }
        DraftSignals shape = DraftSignals.ofLogits(row, top.length == 0 ? 0 : top[0], e.feature(parent));
        for (int t : top) {
            double lp = row[t] - lz;
            if (!(lp > Double.NEGATIVE_INFINITY)) {
                continue; // zero probability or NaN: never a candidate
            }
            Node<S> x = new Node<>(t, parent, base + lp);
            x.signals = new DraftSignals((float) Math.exp(lp), shape.topProbability(), shape.margin(),
                    shape.entropy(), shape.features());
            out.add(x);
        }
        return out;
    }
}
