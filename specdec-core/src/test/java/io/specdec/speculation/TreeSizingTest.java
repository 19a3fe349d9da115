package io.specdec.speculation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sequoia sizing checked against exhaustive search: every prefix-closed tree over ranks {0,1,2} of depth ≤ 3 with at
 * most 6 nodes is enumerated, its expected emitted tokens computed from the positional model directly, and its
 * tokens-per-microsecond compared with the plan's.
 */
class TreeSizingTest {
    private static CostCurve linear(double base, double perToken) {
        return CostCurveTest.linear(base, perToken);
    }

    private static double expected(List<int[]> tree, double[] p) {
        double e = 1;
        for (int[] path : tree) {
            double prob = 1;
            for (int r : path) {
                prob *= p[r];
            }
            e += prob;
        }
        return e;
    }

    private static int depth(List<int[]> tree) {
        return tree.stream().mapToInt(x -> x.length).max().orElse(0);
    }

    /** Digits of the rank path: a parent's key is a prefix of, hence sorts before, its children's. */
    private static String key(int[] path) {
        StringBuilder sb = new StringBuilder();
        for (int r : path) {
            sb.append(r);
        }
        return sb.toString();
    }

    /** All prefix-closed node sets of up to maxNodes nodes (each node a rank path). */
    private static void enumerate(List<int[]> tree, Set<String> keys, int maxNodes, int ranks, int maxDepth,
            List<List<int[]>> out) {
        out.add(new ArrayList<>(tree));
        if (tree.size() == maxNodes) {
            return;
        }
        // each set is generated once, its nodes added in increasing key order
        List<int[]> cands = new ArrayList<>();
        List<int[]> parents = new ArrayList<>(tree);
        parents.add(0, new int[0]);
        for (int[] par : parents) {
            if (par.length >= maxDepth) {
                continue;
            }
            for (int r = 0; r < ranks; r++) {
                int[] c = Arrays.copyOf(par, par.length + 1);
                c[par.length] = r;
                if (!keys.contains(key(c))) {
                    cands.add(c);
                }
            }
        }
        String last = tree.isEmpty() ? "" : key(tree.get(tree.size() - 1));
        for (int[] c : cands) {
            String k = key(c);
            if (k.compareTo(last) <= 0) {
                continue;
            }
            tree.add(c);
            keys.add(k);
            enumerate(tree, keys, maxNodes, ranks, maxDepth, out);
            keys.remove(k);
            tree.remove(tree.size() - 1);
        }
    }

    @Test
    void greedyPlanIsOptimalAgainstExhaustiveSearch() {
        double[][] ps = {{0.6, 0.2, 0.1}, {0.9, 0.05, 0.02}, {0.3, 0.25, 0.2}};
        CostCurve[] curves = {linear(1000, 20), linear(1000, 150), linear(1000, 600)};
        List<List<int[]>> all = new ArrayList<>();
        enumerate(new ArrayList<>(), new HashSet<>(), 6, 3, 3, all);
        assertTrue(all.size() > 500, "enumeration covers many trees: " + all.size());
        for (double[] p : ps) {
            for (CostCurve c : curves) {
                double perLevel = 40;
                double perNode = 3;
                double best = 0;
                for (List<int[]> t : all) {
                    double rate = expected(t, p) / (c.micros(t.size() + 1) + perLevel * depth(t) + perNode * t.size());
                    best = Math.max(best, rate);
                }
                TreeSizing.Plan plan = TreeSizing.optimal(p, c, perLevel, perNode, 6, 3);
                double planRate = expected(plan.paths(), p)
                        / (c.micros(plan.size() + 1) + perLevel * plan.maxDepth() + perNode * plan.size());
                assertEquals(best, planRate, 1e-12, "plan " + plan + " for p=" + Arrays.toString(p));
                assertEquals(expected(plan.paths(), p), plan.expectedTokens(), 1e-12);
                assertEquals(planRate * c.micros(1), plan.predictedSpeedup(), 1e-9);
            }
        }
    }

    @Test
    void parentsComeFirstAndFlatCurvesGrowWideTrees() {
        TreeSizing.Plan plan = TreeSizing.optimal(new double[] {0.5, 0.2, 0.1, 0.05}, linear(1000, 1), 0, 0, 64, 8);
        Set<String> seen = new HashSet<>();
        for (int[] path : plan.paths()) {
            if (path.length > 1) {
                assertTrue(seen.contains(Arrays.toString(Arrays.copyOf(path, path.length - 1))), "parent first");
            }
            seen.add(Arrays.toString(path));
        }
        assertEquals(64, plan.size(), "a nearly free verifier takes the whole budget");
        assertTrue(plan.maxRank() >= 2);
        TreeSizing.Plan none = TreeSizing.optimal(new double[] {0.3}, linear(1000, 1000), 0, 0, 16, 16);
        assertEquals(0, none.size(), "a verifier as costly as steps: no speculation");
        assertEquals(1.0, none.predictedSpeedup(), 1e-12);
    }

    @Test
    void correlatedAcceptanceGrowsLongerChainsThanThePositionalModel() {
        // all-or-nothing rounds: half the time the whole chain is right, otherwise its first token is wrong
        TreeSizing.PathModel bursty = path -> {
            for (int r : path) {
                if (r != 0) {
                    return 0;
                }
            }
            return 0.5;
        };
        CostCurve c = linear(1000, 60);
        TreeSizing.Plan joint = TreeSizing.optimal(bursty, 1, c, 0, 0, 16, 16);
        TreeSizing.Plan positional = TreeSizing.optimal(new double[] {0.5}, c, 0, 0, 16, 16);
        assertTrue(joint.size() > positional.size(), joint + " vs " + positional);
        // E(K) = 1 + 0.5·K under the bursty model; rate (1 + K/2) / (1000 + 60K) is increasing in K, so K = 16
        assertEquals(16, joint.size());
        assertEquals(9.0, joint.expectedTokens(), 1e-12);
    }

    @Test
    void rejectsBadProbabilities() {
        assertThrows(IllegalArgumentException.class,
                () -> TreeSizing.optimal(new double[] {0.7, 0.5}, linear(1000, 1), 0, 0, 4, 4));
        assertThrows(IllegalArgumentException.class,
                () -> TreeSizing.optimal(new double[] {Double.NaN}, linear(1000, 1), 0, 0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> TreeSizing.rankProbabilities(new long[] {1}, 0));
    }
}
