package io.specdec.drafters.heads;

import io.specdec.model.CausalLM;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EAGLE-2 dynamic draft tree (Li et al. 2024, arXiv:2406.16858; reference SafeAILab/EAGLE
 * {@code topK_generate}; ALGORITHMS.md §11), shared by the Hydra and EAGLE-style drafters: the root's children are
 * the {@code topK} most likely tokens; at each further depth the {@code topK} nodes of the newest level with the
 * highest cumulative draft log-probability (the sum along the path) are expanded in one batched call, each into its
 * {@code topK} children; finally every drafted node is reranked by that value and the best {@code budget} form the
 * tree (a child never scores above its parent, so the kept set is a tree; ties keep the shallower node first).
 * Expansion stops early once no frontier node can still enter the best {@code budget}. All candidates are point
 * masses. Subclasses supply the root distribution and the batched expansion. Not thread-safe.
 */
abstract class DynamicTreeDrafter extends HeadDrafter {
    private final int depth;
    private final int topK;
    private final int budget;

    /** A drafted node. */
    static final class Node {
        final int token;
        final Node parent;
        final int depth;
        final double score;
        DraftSignals signals;
        float[] feature; // EAGLE: the feature its own forward predicted
        int cacheRow = -1; // EAGLE: its row among the round's cached tree rows

        Node(int token, Node parent, int depth, double score) {
            this.token = token;
            this.parent = parent;
            this.depth = depth;
            this.score = score;
        }

        /** Tokens root → this node (root excluded). */
        int[] path() {
            int[] p = new int[depth];
            Node n = this;
            for (int i = depth - 1; i >= 0; i--) {
                p[i] = n.token;
                n = n.parent;
            }
            return p;
        }
    }

    /**
     * @param depth levels to draft at most (≤ {@link #maxDepth()})
     * @param topK children per expanded node and nodes expanded per level
     * @param budget nodes kept (the round budget caps it further)
     */
    DynamicTreeDrafter(CausalLM target, int depth, int topK, int budget) {
        super(target);
        this.depth = depth;
        this.topK = topK;
        this.budget = budget;
    }

    /** The depth-1 distribution for the root {@code tokens[length-1]} (raw logits, {@code [vocab]}). */
    abstract float[] rootLogits(int[] tokens, int length);

    /** Logits of the children of every frontier node (all of one depth), one row per node. */
    abstract float[][] expand(List<Node> frontier, int[] tokens, int length);

    /**
     * The feature vector a node's signals carry for the length controller: what produced the distribution its token
     * came from. Default: the target's last feature {@code f_{n-2}} (what the heads read).
     */
    float[] stepFeature(Node parent) {
        return features.get(features.size() - 1);
    }

    /** Called after each proposal (e.g. to drop the round's rows from a cache). */
    void finish(int length) {}

    @Override
    final DraftTree draft(DraftContext ctx) {
        int b = Math.min(ctx.budget(), budget);
        int[] tokens = ctx.tokens();
        int length = ctx.length();
        List<Node> all = new ArrayList<>();
        try {
            List<Node> frontier = children(null, rootLogits(tokens, length), 1);
            all.addAll(frontier);
            int maxD = Math.min(depth, maxDepth());
            for (int d = 2; d <= maxD && !frontier.isEmpty(); d++) {
                if (all.size() >= b && frontier.get(0).score < kth(all, b)) {
                    break; // no descendant of the frontier can enter the best b
                }
                float[][] logits = expand(frontier, tokens, length);
                List<Node> next = new ArrayList<>();
                for (int i = 0; i < frontier.size(); i++) {
                    next.addAll(children(frontier.get(i), logits[i], d));
                }
                all.addAll(next);
                next.sort(BY_SCORE);
                frontier = next.subList(0, Math.min(topK, next.size()));
            }
        } finally {
            finish(length);
        }
        all.sort(BY_SCORE);
        int n = Math.min(b, all.size());
        Map<Node, Integer> index = new IdentityHashMap<>();
        int[] tk = new int[n];
        int[] pa = new int[n];
        DraftSignals[] sg = new DraftSignals[n];
        for (int i = 0; i < n; i++) {
            Node x = all.get(i);
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

    private static final Comparator<Node> BY_SCORE = (a, b) -> {
        int c = Double.compare(b.score, a.score);
        return c != 0 ? c : Integer.compare(a.depth, b.depth);
    };

    private static double kth(List<Node> all, int k) {
        double[] s = new double[all.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = all.get(i).score;
        }
        java.util.Arrays.sort(s);
        return s[s.length - k];
    }

    private List<Node> children(Node parent, float[] logits, int d) {
        double base = parent == null ? 0 : parent.score;
        int[] top = TopK.indices(logits, topK);
        double lz = TopK.logSumExp(logits);
        DraftSignals shape = DraftSignals.ofLogits(logits, top.length == 0 ? 0 : top[0], stepFeature(parent));
        List<Node> out = new ArrayList<>(top.length);
        for (int t : top) {
            double score = base + logits[t] - lz;
            // non-finite logits (heads whose weights overflow) rank last instead of breaking the parent order
            Node x = new Node(t, parent, d, Double.isNaN(score) ? Double.NEGATIVE_INFINITY : score);
            x.signals = new DraftSignals((float) Math.exp(logits[t] - lz), shape.topProbability(), shape.margin(),
                    shape.entropy(), shape.features());
            out.add(x);
        }
        return out;
    }
}
