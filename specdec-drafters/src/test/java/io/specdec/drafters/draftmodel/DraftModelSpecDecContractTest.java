package io.specdec.drafters.draftmodel;

import io.specdec.drafters.specdecpp.AcceptanceHead;
import io.specdec.drafters.specdecpp.ThresholdController;
import io.specdec.model.LlamaConfig;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.RoundResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The draft-model chain under the SpecDec++ threshold controller (h = 0.5, K in 1..6) through the drafter contract:
 * the controller only shortens rounds, so greedy identity, the sampling distribution and KV equivalence must hold.
 * Heads with random weights (scale 1) make the predicted acceptance, and so the round length, vary with the draft's
 * hidden state; one head per draft width (the story draft and the tiny draft differ).
 */
class DraftModelSpecDecContractTest extends DraftModelContract {
    @Override
    DraftModelDrafter.Mode mode() {
        return DraftModelDrafter.Mode.CHAIN;
    }

    @Override
    protected CandidateLengthController controller() {
        Map<Integer, ThresholdController> byWidth = new LinkedHashMap<>();
        int storyWidth = io.specdec.io.ModelLoader.load(story.draft()).config().dim();
        return new CandidateLengthController() {
            @Override
            public int nextBudget(int max) {
                return Math.min(max, 6);
            }

            @Override
            public boolean continueDrafting(DraftStep step) {
                if (step.hidden() == null) {
                    return true;
                }
                int w = step.hidden().length;
                if (w != storyWidth && w != TINY.dim()) {
                    throw new AssertionError("DraftStep.hidden must be one row [dim] of the draft (" + storyWidth
                            + " or " + TINY.dim() + "), found " + w + " values");
                }
                return byWidth.computeIfAbsent(step.hidden().length, d -> new ThresholdController(head(d), 0.5f, 1, 6,
                        null)).continueDrafting(step);
            }

            @Override
            public void observe(RoundResult r) {}

            @Override
            public String name() {
                return "specdec++(h=0.50, random heads)";
            }
        };
    }

    static AcceptanceHead head(int d) {
        LlamaConfig c = new LlamaConfig(d, 16, 1, 1, 1, d, 16, 32, 1e-5f, 10000f, false, false, 1, 2);
        AcceptanceHead h = AcceptanceHead.init(c, 1, 3);
        SplittableRandom r = new SplittableRandom(d);
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String n : h.tensors().keySet()) {
            float[] t = h.tensor(n).clone();
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * (n.startsWith("acc.out") ? 1.0 : 0.2));
            }
            v.put(n, t);
        }
        v.put("acc.out.b", new float[] {0f, 1.5f}); // mostly "accept": rounds of a few tokens
        return h.with(v);
    }
}
