package io.specdec.drafters.specdecpp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains an {@link AcceptanceHead} on recorded {@link AcceptanceExamples} (SpecDec++, Huang et al. 2024; reference
 * Kaffaljidhmah2/SpecDec_pp): binary cross-entropy against the soft acceptance labels, minibatches drawn with
 * replacement, AdamW (β = 0.9, 0.999, ε = 1e-8, decoupled weight decay on matrices), gradients by backpropagation
 * through the head's own {@link AcceptanceHead#forward} (the one forward inference uses), validation BCE every
 * {@code evalEvery} steps, the best head kept. Unweighted BCE makes the output a calibrated probability, which the
 * controller multiplies along a branch (the paper's rejection weighting only shifts the threshold). Deterministic for
 * a seed. Stateless; each call is independent.
 */
public final class AcceptanceHeadTrainer {
    private AcceptanceHeadTrainer() {}

    /**
     * @param steps optimisation steps (≥ 1)
     * @param batch examples per step (≥ 1)
     * @param lr peak learning rate (> 0, finite; cosine decay to 10% after 5% warm-up)
     * @param weightDecay decoupled weight decay on matrices (≥ 0, finite)
     * @param evalEvery steps between validations (≥ 1)
     * @param seed minibatch seed
     */
    public record Config(int steps, int batch, float lr, float weightDecay, int evalEvery, long seed) {
        public Config {
            if (steps < 1 || batch < 1 || evalEvery < 1) {
                throw new IllegalArgumentException("steps, batch and eval interval must be >= 1, found " + steps
                        + ", " + batch + ", " + evalEvery);
            }
            if (!(lr > 0) || !Float.isFinite(lr) || !(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
                throw new IllegalArgumentException("learning rate must be finite and > 0, weight decay finite and"
                        + " >= 0, found " + lr + ", " + weightDecay);
            }
        }
    }

    /** The best head and its figures: validation BCE (nats per example) before training and at the best step. */
    public record Result(AcceptanceHead head, double initialValBce, double bestValBce, int bestStep) {}

    /** Receives progress: step and the last validation BCE. */
    public interface Listener {
        void step(int step, double valBce);
    }

    /**
     * Trains from {@code init}.
     *
     * @throws IllegalArgumentException for empty example lists or inputs of the wrong width
     */
    public static Result train(AcceptanceHead init, List<AcceptanceExamples.Example> train,
            List<AcceptanceExamples.Example> val, Config c, Listener listener) {
        if (train.isEmpty() || val.isEmpty()) {
            throw new IllegalArgumentException("acceptance-head training needs training and validation examples,"
                    + " found " + train.size() + " and " + val.size());
        }
        Map<String, float[]> p = new LinkedHashMap<>();
        Map<String, double[]> m = new LinkedHashMap<>();
        Map<String, double[]> v = new LinkedHashMap<>();
        init.tensors().forEach((k, x) -> {
            p.put(k, x.clone());
            m.put(k, new double[x.length]);
            v.put(k, new double[x.length]);
        });
        SplittableRandom rng = new SplittableRandom(c.seed());
        AcceptanceHead head = init;
        double initial = bce(init, val);
        AcceptanceHead best = init;
        double bestBce = initial;
        int bestStep = 0;
        int warm = Math.max(1, c.steps() / 20);
        for (int step = 1; step <= c.steps(); step++) {
            Map<String, double[]> g = zeros(p);
            for (int i = 0; i < c.batch(); i++) {
                AcceptanceExamples.Example e = train.get(rng.nextInt(train.size()));
                accumulate(head, e, g);
            }
            double lr = step <= warm ? c.lr() * step / warm
                    : c.lr() * (0.1 + 0.45 * (1 + Math.cos(Math.PI * (step - warm) / Math.max(1, c.steps() - warm))));
            double b1 = 0.9;
            double b2 = 0.999;
            double bc1 = 1 - Math.pow(b1, step);
            double bc2 = 1 - Math.pow(b2, step);
            for (String k : p.keySet()) {
                float[] w = p.get(k);
                double[] gk = g.get(k);
                double[] mk = m.get(k);
                double[] vk = v.get(k);
                boolean decay = k.endsWith(".w");
                for (int j = 0; j < w.length; j++) {
                    double gj = gk[j] / c.batch();
                    mk[j] = b1 * mk[j] + (1 - b1) * gj;
                    vk[j] = b2 * vk[j] + (1 - b2) * gj * gj;
                    double upd = (mk[j] / bc1) / (Math.sqrt(vk[j] / bc2) + 1e-8);
                    w[j] = (float) (w[j] - lr * (upd + (decay ? c.weightDecay() * w[j] : 0)));
                }
            }
            head = init.with(p);
            if (step % c.evalEvery() == 0 || step == c.steps()) {
                double l = bce(head, val);
                if (l < bestBce) {
                    bestBce = l;
                    best = head;
                    bestStep = step;
                }
                if (listener != null) {
                    listener.step(step, l);
                }
            }
        }
        return new Result(best, initial, bestBce, bestStep);
    }

    private static Map<String, double[]> zeros(Map<String, float[]> p) {
        Map<String, double[]> g = new LinkedHashMap<>();
        p.forEach((k, x) -> g.put(k, new double[x.length]));
        return g;
    }

    /** Mean binary cross-entropy (nats) of the head's predictions against the soft labels. */
    public static double bce(AcceptanceHead h, List<AcceptanceExamples.Example> examples) {
        double s = 0;
        for (AcceptanceExamples.Example e : examples) {
            double z = h.forward(e.input(), null);
            // log sigmoid(z) and log(1 - sigmoid(z)), stably
            double logP = -softplus(-z);
            double log1mP = -softplus(z);
            s -= e.label() * logP + (1 - e.label()) * log1mP;
        }
        return s / examples.size();
    }

    private static double softplus(double x) {
        return x > 30 ? x : Math.log1p(Math.exp(x));
    }

    /** Adds the gradient of one example's BCE to {@code g} (backpropagation through {@link AcceptanceHead#forward}). */
    static void accumulate(AcceptanceHead h, AcceptanceExamples.Example e, Map<String, double[]> g) {
        int width = h.width();
        int in = h.inputWidth();
        int blocks = h.blocks();
        double[][] trace = new double[2 + 2 * blocks][];
        double z = h.forward(e.input(), trace);
        double dz = 1 / (1 + Math.exp(-z)) - e.label(); // d BCE / d logit
        double[] hLast = trace[trace.length - 1];
        float[] ow = h.tensor("acc.out.w");
        double[] gow = g.get("acc.out.w");
        double[] dh = new double[width];
        for (int i = 0; i < width; i++) {
            gow[i] += dz * hLast[i];
            dh[i] = dz * ow[i];
        }
        g.get("acc.out.b")[0] += dz;
        for (int k = blocks - 1; k >= 0; k--) {
            double[] hin = trace[1 + 2 * k];
            double[] zk = trace[2 + 2 * k];
            float[] w = h.tensor("acc." + k + ".w");
            double[] gw = g.get("acc." + k + ".w");
            double[] gb = g.get("acc." + k + ".b");
            double[] next = dh.clone(); // the residual path
            for (int i = 0; i < width; i++) {
                double d = dh[i] * AcceptanceHead.siluGrad(zk[i]);
                if (d == 0) {
                    continue;
                }
                gb[i] += d;
                int o = i * width;
                for (int j = 0; j < width; j++) {
                    gw[o + j] += d * hin[j];
                    next[j] += d * w[o + j];
                }
            }
            dh = next;
        }
        double[] z1 = trace[0];
        float[] x = e.input();
        double[] gw = g.get("acc.in.w");
        double[] gb = g.get("acc.in.b");
        for (int i = 0; i < width; i++) {
            double d = dh[i] * AcceptanceHead.siluGrad(z1[i]);
            gb[i] += d;
            int o = i * in;
            for (int j = 0; j < in; j++) {
                gw[o + j] += d * x[j];
            }
        }
    }

    /**
     * Rows {@code [predicted, label, outcome]} for calibration and AUC ({@link Metrics}): the outcome is the label
     * when it is 0 or 1, else an accept/reject draw with the label's probability (seeded).
     */
    public static List<float[]> evaluate(AcceptanceHead h, List<AcceptanceExamples.Example> examples, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> rows = new ArrayList<>(examples.size());
        for (AcceptanceExamples.Example e : examples) {
            float y = e.label();
            float outcome = y == 0f || y == 1f ? y : (r.nextDouble() < y ? 1f : 0f);
            rows.add(new float[] {h.accept(e.input()), y, outcome});
        }
        return rows;
    }
}
