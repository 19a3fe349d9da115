package io.specdec.speculation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;

/**
 * Hardware-aware sizing of a draft chain or tree (Sequoia, Chen et al. 2024, arXiv:2402.12374; ALGORITHMS.md §7):
 * given how often the target's next token is the drafter's rank-r candidate and the machine's measured cost curve
 * c(T), choose the tree that maximises expected emitted tokens per microsecond.
 *
 * <p>Model (greedy verification): a node reached through sibling ranks {@code r_1..r_d} is accepted with some
 * probability P(r_1..r_d) — in Sequoia's positional model {@code Π p(r_i)}, where {@code p(r)} = P(the target's token
 * is the drafter's rank-r candidate), independent across depths; or any other monotone {@link PathModel}, such as an
 * empirical joint estimate. Expected emitted tokens of a tree = 1 (the bonus or corrected token) + the sum of its
 * nodes' path probabilities. Because a child's path probability never exceeds its parent's, inserting nodes greedily
 * by path probability gives, for every size n, the tree of n nodes with the largest expectation; the chosen size maximises {@code E(n) / (c(n + 1) + draft cost(n, depth))}. A chain is the
 * case {@code p = {α}}. Size 0 (no speculation) is chosen when nothing beats an autoregressive step, {@code 1 / c(1)}.
 *
 * <p>Draft cost is modelled as {@code perLevelMicros · depth + perNodeMicros · n} (a draft model pays a forward per
 * level; table drafters pay per node). Stateless; thread-safe.
 */
public final class TreeSizing {
    private TreeSizing() {}

    /**
     * Acceptance probability of a node given its rank path from the root. Must be monotone: a path's probability
     * never exceeds its prefix's (true of any probability of the event "every step of the path was accepted").
     */
    @FunctionalInterface
    public interface PathModel {
        /** P(the node reached through sibling ranks {@code path} is accepted), in [0, 1]. */
        double probability(int[] path);
    }

    /** Sequoia's positional model: a path's probability is the product of its ranks' probabilities. */
    public static PathModel positional(double[] rankProbability) {
        double sum = 0;
        for (double p : rankProbability) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("rank probabilities must lie in [0, 1]: "
                        + Arrays.toString(rankProbability));
            }
            sum += p;
        }
        if (sum > 1 + 1e-6) {
            throw new IllegalArgumentException("rank probabilities sum to " + sum + " > 1");
        }
        double[] p = rankProbability.clone();
        return path -> {
            double v = 1;
            for (int r : path) {
                v *= p[r];
            }
            return v;
        };
    }

    /**
     * A sized tree.
     *
     * @param paths the nodes in insertion order, each as its rank path from the root (parents come first)
     * @param expectedTokens E(n): expected emitted tokens per round, bonus token included
     * @param predictedSpeedup {@code E(n)·c(1) / (c(n+1) + draft cost)}, the speedup the model predicts
     * @param maxDepth depth of the deepest node
     * @param maxRank largest sibling rank used (0-based)
     */
    public record Plan(List<int[]> paths, double expectedTokens, double predictedSpeedup, int maxDepth, int maxRank) {
        /** Number of nodes. */
        public int size() {
            return paths.size();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d nodes, depth %d, ranks ≤ %d, E[tokens] %.2f, predicted %.2fx",
                    size(), maxDepth, maxRank, expectedTokens, predictedSpeedup);
        }
    }

    /**
     * The best tree of at most {@code maxNodes} nodes and depth {@code maxDepth}.
     *
     * @param rankProbability {@code p(r)} for r = 0..R-1, each in [0, 1], summing to at most 1
     * @param curve the target's cost curve
     * @param perLevelMicros draft cost per tree level, µs (≥ 0)
     * @param perNodeMicros draft cost per node, µs (≥ 0)
     */
    public static Plan optimal(double[] rankProbability, CostCurve curve, double perLevelMicros, double perNodeMicros,
            int maxNodes, int maxDepth) {
        return optimal(positional(rankProbability), rankProbability.length, curve, perLevelMicros, perNodeMicros,
                maxNodes, maxDepth);
    }

    /**
     * The best tree under any monotone path model (e.g. an empirical joint estimate, which keeps the correlation
     * between consecutive acceptances that the positional model drops).
     *
     * @param ranks children considered per node (ranks 0..ranks-1)
     */
    public static Plan optimal(PathModel model, int ranks, CostCurve curve, double perLevelMicros,
            double perNodeMicros, int maxNodes, int maxDepth) {
        return optimal(model, ranks, curve, 0, perLevelMicros, perNodeMicros, maxNodes, maxDepth);
    }

    /**
     * As {@link #optimal(PathModel, int, CostCurve, double, double, int, int)} with a fixed draft cost per
     * speculative round besides the per-level and per-node costs (a head drafter's one call that yields every
     * head's logits, an EAGLE layer's catch-up forward): draft cost(n, depth) = {@code fixedMicros + perLevelMicros
     * · depth + perNodeMicros · n} for n ≥ 1, 0 for no speculation.
     */
    public static Plan optimal(PathModel model, int ranks, CostCurve curve, double fixedMicros, double perLevelMicros,
            double perNodeMicros, int maxNodes, int maxDepth) {
        if (fixedMicros < 0 || perLevelMicros < 0 || perNodeMicros < 0 || maxNodes < 0 || maxDepth < 0) {
            throw new IllegalArgumentException("costs, maxNodes and maxDepth must be >= 0");
        }
        // a depth-bounded greedy tree is the best of its size among trees no deeper; trying every bound also
        // optimises the per-level draft cost
        Plan best = null;
        for (int bound = 1; bound <= Math.max(1, maxDepth); bound++) {
            Plan p = greedy(model, ranks, curve, fixedMicros, perLevelMicros, perNodeMicros, maxNodes,
                    Math.min(bound, maxDepth));
            if (best == null || p.predictedSpeedup() > best.predictedSpeedup() + 1e-12) {
                best = p;
            }
        }
        return best;
    }

    private static Plan greedy(PathModel model, int ranks, CostCurve curve, double fixedMicros,
            double perLevelMicros, double perNodeMicros, int maxNodes, int maxDepth) {
        record Node(int[] path, double prob) {}
        PriorityQueue<Node> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.prob, a.prob));
        if (maxDepth > 0) {
            for (int r = 0; r < ranks; r++) {
                frontier.add(new Node(new int[] {r}, model.probability(new int[] {r})));
            }
        }
        List<int[]> order = new ArrayList<>();
        double c1 = curve.micros(1);
        double bestRate = 1.0 / c1;
        int bestN = 0;
        double bestE = 1;
        double expected = 1;
        int depth = 0;
        int[] depthAt = new int[maxNodes + 1];
        while (order.size() < maxNodes && !frontier.isEmpty()) {
            Node n = frontier.poll();
            if (n.prob <= 0) {
                break;
            }
            order.add(n.path);
            expected += n.prob;
            depth = Math.max(depth, n.path.length);
            depthAt[order.size()] = depth;
            if (n.path.length < maxDepth) {
                for (int r = 0; r < ranks; r++) {
                    int[] child = Arrays.copyOf(n.path, n.path.length + 1);
                    child[n.path.length] = r;
                    frontier.add(new Node(child, Math.min(n.prob, model.probability(child))));
                }
            }
            int size = order.size();
            double rate = expected / (curve.micros(size + 1) + fixedMicros + perLevelMicros * depth
                    + perNodeMicros * size);
            if (rate > bestRate) {
                bestRate = rate;
                bestN = size;
                bestE = expected;
            }
        }
        List<int[]> paths = List.copyOf(order.subList(0, bestN));
        int maxRank = 0;
        for (int[] p : paths) {
            for (int r : p) {
                maxRank = Math.max(maxRank, r);
            }
        }
        return new Plan(paths, bestE, bestRate * c1, depthAt[bestN], maxRank);
    }

    /**
     * {@code p(r)} estimated from observed ranks: {@code counts[r]} = how often the target's token was the drafter's
     * rank-r candidate, {@code total} = observations (those where it was no candidate at all included).
     */
    public static double[] rankProbabilities(long[] counts, long total) {
        if (total <= 0) {
            throw new IllegalArgumentException("no observations");
        }
        double[] p = new double[counts.length];
        for (int r = 0; r < counts.length; r++) {
            p[r] = (double) counts[r] / total;
        }
        return p;
    }
}
