package io.specdec.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftTree;
import io.specdec.verify.contract.DistributionCheck;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * LANTERN's relaxed acceptance against exact probability math on a six-token vocabulary whose embeddings make the
 * neighbourhoods known: the output distribution of one drafted position equals
 * {@code q(y)·min(1, p̃(y)/q(y)) + (1 − Σ_x q(x)·min(1, p̃(x)/q(x)))·r(y)}, r = norm(max(0, p − q)); δ = 0 is
 * rejection sampling; the relaxation accepts more than rejection sampling; and the policy is reachable only as a lossy
 * opt-in.
 */
class LanternAcceptanceTest {
    // tokens 0,1,2 point one way (0 and 1 nearly together), 3,4,5 the other way
    private static final float[] EMB = {1f, 0f, 0.99f, 0.1f, 0.9f, 0.4f, -1f, 0f, -0.98f, 0.2f, -0.8f, -0.5f};
    private static final float[] P = {0.30f, 0.25f, 0.05f, 0.20f, 0.15f, 0.05f};
    private static final float[] Q = {0.05f, 0.50f, 0.10f, 0.05f, 0.25f, 0.05f};

    private static LatentNeighbours neighbours() {
        return LatentNeighbours.of(EMB, 6, 2, 2);
    }

    @Test
    void neighboursAreNearestFirstByCosine() {
        LatentNeighbours n = neighbours();
        assertArrayEquals(new int[] {1, 2}, n.of(0));
        assertArrayEquals(new int[] {4, 5}, n.of(3));
    }

    /** The exact output distribution of one drafted position under LANTERN with budget δ. */
    private static double[] exact(float delta) {
        LanternAcceptance l = new LanternAcceptance(neighbours(), delta);
        double[] out = new double[6];
        double accept = 0;
        double[] res = new double[6];
        double rmass = 0;
        for (int y = 0; y < 6; y++) {
            double[] p = new double[6];
            for (int i = 0; i < 6; i++) {
                p[i] = P[i];
            }
            double a = Q[y] * Math.min(1, l.relaxed(p, 1.0, y) / Q[y]);
            out[y] += a;
            accept += a;
            res[y] = Math.max(0, P[y] - Q[y]);
            rmass += res[y];
        }
        for (int y = 0; y < 6; y++) {
            out[y] += (1 - accept) * res[y] / rmass;
        }
        return out;
    }

    private static Map<Integer, Integer> sample(float delta, int n) {
        LanternAcceptance l = new LanternAcceptance(neighbours(), delta);
        SplittableRandom rng = new SplittableRandom(7);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int x = io.specdec.sampling.Distributions.sample(Q, rng);
            DraftTree t = DraftTree.chain(new int[] {x}, new float[][] {Q});
            var acc = l.walk(t, node -> node < 0 ? P : P, rng);
            int y = acc.acceptedNodes().length == 1 ? x : acc.nextToken();
            counts.merge(y, 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void outputFollowsTheRelaxedDistributionExactly() {
        for (float delta : new float[] {0f, 0.1f, 0.3f}) {
            int n = 60_000;
            DistributionCheck.ChiSquare chi = DistributionCheck.chiSquare(sample(delta, n), n, exact(delta));
            assertTrue(chi.z() <= 4.5, "delta " + delta + ": " + chi);
        }
        double[] plain = exact(0f);
        for (int i = 0; i < 6; i++) {
            assertTrue(Math.abs(plain[i] - P[i]) < 1e-6, "delta 0 must be rejection sampling: " + plain[i] + " vs "
                    + P[i]);
        }
        double tv = 0;
        double[] relaxed = exact(0.3f);
        for (int i = 0; i < 6; i++) {
            tv += Math.abs(relaxed[i] - P[i]) / 2;
        }
        assertTrue(tv > 0.01, "delta 0.3 should change the distribution here, TV " + tv);
    }

    @Test
    void relaxationAcceptsMoreThanRejectionSampling() {
        double[] p = new double[6];
        for (int i = 0; i < 6; i++) {
            p[i] = P[i];
        }
        LanternAcceptance l = new LanternAcceptance(neighbours(), 0.3f);
        // token 1's nearest neighbour 0 carries 0.30 <= delta: moved onto 1
        assertTrue(Math.abs(l.relaxed(p, 1.0, 1) - 0.55) < 1e-6);
        // token 4: neighbour 3 (0.20) fits, then 5 (0.05) fits too: 0.15 + 0.25
        assertTrue(Math.abs(l.relaxed(p, 1.0, 4) - 0.40) < 1e-6);
        assertTrue(Math.abs(new LanternAcceptance(neighbours(), 0f).relaxed(p, 1.0, 4) - 0.15) < 1e-6);
    }

    @Test
    void onlyReachableAsALossyOptIn() {
        LanternAcceptance l = new LanternAcceptance(neighbours(), 0.2f);
        assertFalse(l.isLossless());
        assertFalse(l.supports(SamplingConfig.GREEDY));
        GenerationConfig sampled = GenerationConfig.builder()
                .optSampling(SamplingConfig.builder().optTemperature(1f).build()).build();
        var tok = new io.specdec.tokenizer.SentencePieceBpeTokenizer(new String[] {"<unk>", "<s>", "</s>", "a", "b",
            "c"}, new float[6], null, 1, 2, 0, false);
        try (var m = new io.specdec.model.LlamaModel(io.specdec.model.LlamaWeights.random(
                new io.specdec.model.LlamaConfig(16, 32, 1, 2, 1, 8, 6, 32, 1e-5f, 10000f, false, false, 1, 2), 1,
                0.1f))) {
            var b = io.specdec.speculation.SpeculativeDecoder.builder().setVerifier(TreeVerifier.factory(m))
                    .setTokenizer(tok).setDrafter(() -> null).optConfig(sampled).optPolicy(l);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
            assertTrue(e.getMessage().contains("optLossyPolicy"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new LanternAcceptance(neighbours(), 1f));
    }
}
