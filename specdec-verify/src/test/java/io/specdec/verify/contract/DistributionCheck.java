package io.specdec.verify.contract;

import io.specdec.model.ForwardOptions;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.sampling.TokenSampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Exact probabilities of every 3-token continuation of a prompt under a target model and sampling config
 * (enumerated with autoregressive forwards), and a chi-square goodness-of-fit test of observed continuations against
 * them. Cells with expected count below 5 are pooled into one.
 */
public final class DistributionCheck {
    private DistributionCheck() {}

    /** {@code P(a, b, c | prompt)} indexed {@code a·V² + b·V + c}. */
    public static double[] exactTriples(LlamaModel target, int[] prompt, SamplingConfig s) {
        int v = target.config().vocabSize();
        var proc = LogitsProcessors.of(s);
        double[] out = new double[v * v * v];
        try (KvCache c = target.newCache(prompt.length + 3)) {
            float[] p1 = dist(target, c, prompt, prompt, proc, s);
            for (int a = 0; a < v; a++) {
                if (p1[a] == 0) {
                    continue;
                }
                c.truncate(prompt.length);
                int[] h2 = append(prompt, a);
                float[] p2 = dist(target, c, new int[] {a}, h2, proc, s);
                for (int b = 0; b < v; b++) {
                    if (p2[b] == 0) {
                        continue;
                    }
                    c.truncate(prompt.length + 1);
                    float[] p3 = dist(target, c, new int[] {b}, append(h2, b), proc, s);
                    for (int x = 0; x < v; x++) {
                        out[a * v * v + b * v + x] = (double) p1[a] * p2[b] * p3[x];
                    }
                }
            }
        }
        return out;
    }

    private static float[] dist(LlamaModel m, KvCache c, int[] feed, int[] hist, io.specdec.sampling.LogitsProcessor p,
            SamplingConfig s) {
        float[] logits = m.forward(c, feed, ForwardOptions.LAST_ROW).row(0);
        return TokenSampler.distribution(logits, hist, hist.length, p, s.isGreedy());
    }

    private static int[] append(int[] a, int x) {
        int[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = x;
        return r;
    }

    /** Result of a chi-square test. */
    public record ChiSquare(double statistic, int df, double z) {
        @Override
        public String toString() {
            return String.format("chi2 = %.1f, df = %d, z = %.2f", statistic, df, z);
        }
    }

    /**
     * Pearson chi-square of {@code counts} (cell → count, n samples) against {@code expected} probabilities; z is the
     * Wilson–Hilferty normal approximation of the statistic (z > 4.5 ⇔ p < ~3e-6).
     */
    public static ChiSquare chiSquare(Map<Integer, Integer> counts, int n, double[] expected) {
        double stat = 0;
        int cells = 0;
        double pooledExp = 0;
        double pooledObs = 0;
        List<Integer> seenOutside = new ArrayList<>();
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            if (expected[e.getKey()] == 0) {
                seenOutside.add(e.getKey());
            }
        }
        if (!seenOutside.isEmpty()) {
            return new ChiSquare(Double.POSITIVE_INFINITY, 1, Double.POSITIVE_INFINITY); // impossible outcome seen
        }
        for (int i = 0; i < expected.length; i++) {
            double ex = expected[i] * n;
            double ob = counts.getOrDefault(i, 0);
            if (ex >= 5) {
                stat += (ob - ex) * (ob - ex) / ex;
                cells++;
            } else {
                pooledExp += ex;
                pooledObs += ob;
            }
        }
        if (pooledExp > 0) {
            stat += (pooledObs - pooledExp) * (pooledObs - pooledExp) / Math.max(pooledExp, 1e-9);
            cells++;
        }
        int df = Math.max(1, cells - 1);
        double k = df;
        double z = (Math.cbrt(stat / k) - (1 - 2 / (9 * k))) / Math.sqrt(2 / (9 * k));
        return new ChiSquare(stat, df, z);
    }
}
