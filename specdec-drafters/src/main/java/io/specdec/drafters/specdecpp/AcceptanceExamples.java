package io.specdec.drafters.specdecpp;

import io.specdec.sampling.Distributions;
import io.specdec.sampling.LogitsProcessor;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.SamplingConfig;
import io.specdec.sampling.TokenSampler;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.RoundResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Training examples for an {@link AcceptanceHead}, recorded where the head will be used: in the decode loop, with the
 * drafter it is for, at the deployment temperature. A {@link #recorder} is a length controller that drafts a fixed
 * budget, admits every node, and after each verified round records one example per drafted node: its input
 * ({@link AcceptanceFeatures#input}, built from the node's signals as the gate shows them) and its label, the
 * probability that verification accepts the node given its parent was accepted, computed exactly from the target's
 * distribution {@code p} at the parent's row (the verifier computes every row of the tree, accepted or not):
 * greedy requests 1 if the node is {@code p}'s argmax else 0; a deterministic node under sampling {@code p(x)} (the
 * point-mass rule); a node sampled from {@code q} {@code min(1, p(x)/q(x))} (SpecDec++'s soft label). Thread-safe
 * (requests may record concurrently).
 */
public final class AcceptanceExamples {
    /** One example: the head's input and the acceptance probability in [0, 1]. */
    public record Example(float[] input, float label) {}

    private final int featureWidth;
    private final List<Example> examples = Collections.synchronizedList(new ArrayList<>());

    /** @param featureWidth the drafter's feature width (its setup's {@code featureWidth()}) */
    public AcceptanceExamples(int featureWidth) {
        this.featureWidth = featureWidth;
    }

    /** A copy of what was recorded so far. */
    public List<Example> examples() {
        synchronized (examples) {
            return List.copyOf(examples);
        }
    }

    /** A controller factory: each request's controller drafts {@code budget} nodes per round and records them. */
    public Supplier<CandidateLengthController> recorder(int budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("the recording budget must be >= 1, found " + budget);
        }
        return () -> new Recorder(budget);
    }

    private final class Recorder implements CandidateLengthController {
        private final int budget;
        private final AcceptanceFeatures.Tracker tracker = new AcceptanceFeatures.Tracker();
        private LogitsProcessor processor;
        private boolean greedy;
        private float temperature;

        Recorder(int budget) {
            this.budget = budget;
        }

        @Override
        public void begin(SamplingConfig s) {
            processor = LogitsProcessors.of(s);
            greedy = s.isGreedy();
            temperature = AcceptanceFeatures.temperature(s);
        }

        @Override
        public int nextBudget(int max) {
            return Math.min(max, budget);
        }

        @Override
        public void observe(RoundResult r) {
            DraftTree t = r.tree();
            List<Example> out = new ArrayList<>(t.size());
            for (int j = 0; j < t.size(); j++) {
                DraftSignals s = t.signals(j);
                if (s == null) {
                    throw new IllegalStateException("recording acceptance examples: the drafter gave no signals for"
                            + " a drafted token");
                }
                int x = t.token(j);
                float[] p = TokenSampler.distribution(r.logitsAt(t.parent(j)), new int[0], 0, processor, false);
                float label;
                if (greedy) {
                    label = Distributions.argmax(p) == x ? 1f : 0f;
                } else if (t.isPointMass(j)) {
                    label = p[x];
                } else {
                    float q = t.q(j)[x];
                    label = q <= 0 ? 0f : Math.min(1f, p[x] / q);
                }
                DraftSignals visible = new DraftSignals(Float.NaN, s.topProbability(), s.margin(), s.entropy(),
                        s.features());
                out.add(new Example(AcceptanceFeatures.input(visible, t.depth(j), tracker.previous(), temperature,
                        featureWidth), label));
            }
            examples.addAll(out);
            tracker.observe(r);
        }

        @Override
        public String name() {
            return "record(" + budget + ")";
        }
    }
}
