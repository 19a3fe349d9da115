package io.specdec.drafters.specdecpp;

import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.RoundResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * SpecDec++ with random acceptance heads for drafter contracts (h = 0.5, K in 1..6): heads with random weights make
 * the predicted acceptance, and so where branches stop, vary with the drafter's features; one head per feature width
 * (the story and tiny targets differ), checked against the widths the drafter may give.
 */
public final class RandomSpecDec implements CandidateLengthController {
    private final Set<Integer> widths;
    private final Map<Integer, ThresholdController> byWidth = new LinkedHashMap<>();
    private SamplingConfig sampling = SamplingConfig.GREEDY;

    /** @param widths the feature widths the drafter may give (its model widths) */
    public RandomSpecDec(Set<Integer> widths) {
        this.widths = Set.copyOf(widths);
    }

    @Override
    public void begin(SamplingConfig s) {
        sampling = s;
        byWidth.values().forEach(c -> c.begin(s));
    }

    @Override
    public int nextBudget(int max) {
        return Math.min(max, 6);
    }

    @Override
    public double admit(DraftStep step) {
        float[] f = step.signals() == null ? null : step.signals().features();
        if (f == null || !widths.contains(f.length)) {
            throw new AssertionError("the drafter's signals must carry features of width " + widths + ", found "
                    + (f == null ? "none" : f.length));
        }
        return byWidth.computeIfAbsent(f.length, d -> {
            ThresholdController c = new ThresholdController(head(d), 0.5f, 1, 6, null);
            c.begin(sampling);
            return c;
        }).admit(step);
    }

    @Override
    public void observe(RoundResult r) {
        byWidth.values().forEach(c -> c.observe(r));
    }

    @Override
    public String name() {
        return "specdec++(h=0.50, random heads)";
    }

    /** A random head for features of width {@code d}, biased toward "accept" (rounds of a few tokens). */
    public static AcceptanceHead head(int d) {
        AcceptanceHead h = AcceptanceHead.init("contract", d, 16, 1, 3);
        SplittableRandom r = new SplittableRandom(d);
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String n : h.tensors().keySet()) {
            float[] t = h.tensor(n).clone();
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * (n.startsWith("acc.out") ? 1.0 : 0.3));
            }
            v.put(n, t);
        }
        v.put("acc.out.b", new float[] {1.5f});
        return h.with(v);
    }
}
