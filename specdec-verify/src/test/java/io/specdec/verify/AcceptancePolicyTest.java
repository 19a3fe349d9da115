package io.specdec.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.LengthControllers;
import io.specdec.verify.contract.DrafterContract;
import io.specdec.verify.contract.UniformDrafter;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Acceptance policies against exact probability arithmetic, plus the statistical test's power: the same test that
 * every drafter passes fails for an "accept always" rule.
 */
class AcceptancePolicyTest {

    /** Exact marginal of the first emitted token for a chain of one sampled token: must equal p. */
    @Test
    void rejectionSamplingFirstTokenIsDistributedAsTarget() {
        float[] p = {0.5f, 0.3f, 0.2f, 0f};
        float[] q = {0.1f, 0.1f, 0.4f, 0.4f};
        int n = 400_000;
        int[] counts = new int[4];
        SplittableRandom rng = new SplittableRandom(3);
        RejectionSampling rs = new RejectionSampling();
        for (int i = 0; i < n; i++) {
            int x = io.specdec.sampling.Distributions.sample(q, rng);
            DraftTree t = DraftTree.chain(new int[] {x}, new float[][] {q});
            AcceptancePolicy.Acceptance a = rs.walk(t, node -> node < 0 ? p : new float[] {1, 0, 0, 0}, rng);
            int first = a.acceptedNodes().length > 0 ? t.token(0) : a.nextToken();
            counts[first]++;
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(p[i], counts[i] / (double) n, 4 * Math.sqrt(p[i] * (1 - p[i]) / n) + 1e-9, "token " + i);
        }
    }

    /** Point-mass siblings (top-k): the first token is still distributed as p (EAGLE rule). */
    @Test
    void pointMassTreeRuleIsLossless() {
        float[] p = {0.1f, 0.6f, 0.25f, 0.05f};
        DraftTree t = new DraftTree(new int[] {2, 3, 0}, new int[] {-1, -1, -1}, new float[3][]);
        int n = 400_000;
        int[] counts = new int[4];
        SplittableRandom rng = new SplittableRandom(4);
        RejectionSampling rs = new RejectionSampling();
        IntFunction<float[]> pf = node -> node < 0 ? p : new float[] {0.25f, 0.25f, 0.25f, 0.25f};
        for (int i = 0; i < n; i++) {
            AcceptancePolicy.Acceptance a = rs.walk(t, pf, rng);
            counts[a.acceptedNodes().length > 0 ? t.token(a.acceptedNodes()[0]) : a.nextToken()]++;
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(p[i], counts[i] / (double) n, 4 * Math.sqrt(p[i] * (1 - p[i]) / n), "token " + i);
        }
    }

    @Test
    void greedyWalkFollowsArgmaxThroughTheTree() {
        // root argmax 7 → child node 1 (token 7); node 1 argmax 3 → node 3; node 3 argmax 9: no child → emit 9
        DraftTree t = new DraftTree(new int[] {5, 7, 2, 3}, new int[] {-1, -1, 1, 1}, new float[4][]);
        IntFunction<float[]> p = node -> oneHot(node == -1 ? 7 : node == 1 ? 3 : 9);
        AcceptancePolicy.Acceptance a = new GreedyAcceptance().walk(t, p, new SplittableRandom(1));
        assertArrayEquals(new int[] {1, 3}, a.acceptedNodes());
        assertEquals(9, a.nextToken());
        AcceptancePolicy.Acceptance r = new RejectionSampling().walk(t, p, new SplittableRandom(1));
        assertArrayEquals(a.acceptedNodes(), r.acceptedNodes(), "one-hot p: rejection sampling = greedy");
        assertEquals(9, r.nextToken());
    }

    private static float[] oneHot(int i) {
        float[] v = new float[16];
        v[i] = 1;
        return v;
    }

    @Test
    void typicalAcceptanceIsMarkedLossy() {
        assertFalse(new TypicalAcceptance(0.09f, 0.3f, true).isLossless());
        assertTrue(new RejectionSampling().isLossless());
        assertTrue(new GreedyAcceptance().isLossless());
    }

    /** Accepts every drafted token: the broken rule the distribution test must catch. */
    static final class AcceptAlways implements AcceptancePolicy {
        @Override
        public Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng) {
            int[] path = new int[tree.size()];
            for (int i = 0; i < path.length; i++) {
                path[i] = i;
            }
            float[] last = p.apply(path.length - 1);
            return new Acceptance(path, io.specdec.sampling.Distributions.sample(last, rng));
        }

        @Override
        public boolean isLossless() {
            return false;
        }

        @Override
        public String name() {
            return "accept-always";
        }
    }

    @Test
    void distributionTestPassesRejectionSamplingAndCatchesAcceptAlways() {
        try (LlamaModel tiny = new LlamaModel(LlamaWeights.random(DrafterContractTiny.CONFIG, 2024, DrafterContract.TINY_SCALE))) {
            float[] q = UniformDrafter.skewed(16);
            SamplingConfig s = SamplingConfig.builder().optTemperature(1f).build();
            DrafterContract.Measured good = DrafterContract.measure(tiny, () -> new UniformDrafter(q),
                    cfg -> new RejectionSampling(), LengthControllers.fixed(2), s, 20_000, new int[] {1});
            assertTrue(good.chi().z() <= 4.5, "rejection sampling must pass: " + good.chi());
            DrafterContract.Measured bad = DrafterContract.measure(tiny, () -> new UniformDrafter(q),
                    cfg -> new AcceptAlways(), LengthControllers.fixed(2), s, 20_000, new int[] {1});
            assertTrue(bad.chi().z() > 4.5, "accept-always must fail the same test: " + bad.chi());
            System.out.println("distribution test: rejection sampling " + good.chi() + "; accept-always " + bad.chi()
                    + " " + Arrays.toString(new double[0]));
        }
    }

    /** Shares the contract's tiny target config. */
    static final class DrafterContractTiny {
        static final io.specdec.model.LlamaConfig CONFIG = new io.specdec.model.LlamaConfig(16, 32, 1, 2, 1, 8, 16,
                32, 1e-5f, 10000f, false, false, 1, 2);
    }
}
