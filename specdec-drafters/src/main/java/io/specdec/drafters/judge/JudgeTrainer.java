package io.specdec.drafters.judge;

import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.verify.JudgeHead;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains a {@link JudgeHead} (Judge Decoding, Bachmann et al. 2025) from the target's own continuations. Data: along
 * the target's greedy path on each prompt, wherever the draft's greedy token x differs from the target's y, the
 * example is the target's final-norm hidden state of x's row (x read in context) and the label says whether x is an
 * acceptable alternative: the target's mean log-likelihood per token of x followed by its own greedy continuation
 * ({@code horizon} tokens in all) is within {@code margin} nats of that of y and its continuation. (The paper labels
 * by human/LLM judgement; this label is automatic, from the target itself.) Model: logistic regression, full-batch
 * Adam with L2, classes weighted to balance, 80/20 split (the held-out fifth is reported). Not thread-safe.
 */
public final class JudgeTrainer {
    private JudgeTrainer() {}

    /** One example: the hidden state and whether the drafted token was acceptable. */
    public record Example(float[] hidden, boolean acceptable) {}

    /** What training produced: the head and its held-out figures. */
    public record Result(JudgeHead head, int examples, int positives, double trainAccuracy, double heldOutAccuracy,
            double heldOutPrecision, double heldOutRecall) {}

    /** Builds the examples (see the class comment) on the target's hidden states (Judge Decoding). */
    public static List<Example> examples(LlamaModel target, LlamaModel draft, List<int[]> prompts, int tokens,
            int horizon, double margin) {
        return examples(target, draft, prompts, tokens, horizon, margin, false);
    }

    /**
     * Builds the examples; with {@code draftFeatures} the vector is the draft's own signals of its token
     * ({@link io.specdec.verify.RouterAcceptance#input}: the draft's final hidden state of the row that predicted it,
     * then its probability, top probability, margin and entropy) — R2R's router input — instead of the target's
     * hidden state of the token's row; then the positions where the draft and the target agree are examples too
     * (labelled acceptable, as R2R labels identical tokens non-divergent), since the router also decides where drafting
     * stops ({@link io.specdec.verify.RouterStopRule}) and sees every drafted token.
     */
    public static List<Example> examples(LlamaModel target, LlamaModel draft, List<int[]> prompts, int tokens,
            int horizon, double margin, boolean draftFeatures) {
        List<Example> out = new ArrayList<>();
        for (int[] prompt : prompts) {
            int cap = prompt.length + tokens + horizon + 2;
            if (cap > target.config().contextLength() || cap > draft.config().contextLength()) {
                continue;
            }
            try (KvCache tc = target.newCache(cap); KvCache dc = draft.newCache(cap)) {
                float[] tl;
                try (ForwardResult r = target.forward(tc, prompt, ForwardOptions.LAST_ROW)) {
                    tl = r.row(0);
                }
                float[] dl;
                float[] dh;
                try (ForwardResult r = draft.forward(dc, prompt, ForwardOptions.LAST_ROW.withLastHidden())) {
                    dl = r.row(0);
                    dh = lastRow(r.lastHidden(), draft.config().dim());
                }
                for (int step = 0; step < tokens; step++) {
                    int len = tc.length();
                    int y = argmax(tl);
                    int x = argmax(dl);
                    if (x == y && draftFeatures) {
                        // R2R labels every token the small model generates: one the target would produce too keeps
                        // the path (the router also decides where drafting stops, so it must see these)
                        out.add(new Example(io.specdec.verify.RouterAcceptance.input(
                                io.specdec.speculation.DraftSignals.ofLogits(dl, x, dh)), true));
                    } else if (x != y) {
                        float[][] hx = new float[1][];
                        double llx = branch(target, tc, tl, x, horizon, hx);
                        tc.truncate(len);
                        double lly = branch(target, tc, tl, y, horizon, null);
                        tc.truncate(len);
                        float[] v = draftFeatures ? io.specdec.verify.RouterAcceptance.input(
                                io.specdec.speculation.DraftSignals.ofLogits(dl, x, dh)) : hx[0];
                        out.add(new Example(v, llx >= lly - margin));
                    }
                    try (ForwardResult r = target.forward(tc, new int[] {y}, ForwardOptions.LAST_ROW)) {
                        tl = r.row(0);
                    }
                    try (ForwardResult r = draft.forward(dc, new int[] {y}, ForwardOptions.LAST_ROW.withLastHidden())) {
                        dl = r.row(0);
                        dh = lastRow(r.lastHidden(), draft.config().dim());
                    }
                }
            }
        }
        return out;
    }

    /** Mean log-likelihood per token of {@code first} then the target's greedy continuation, horizon tokens in all. */
    private static double branch(LlamaModel target, KvCache tc, float[] logits, int first, int horizon,
            float[][] hiddenOut) {
        double ll = logProb(logits, first);
        int tok = first;
        for (int i = 1; i <= horizon; i++) {
            try (ForwardResult r = target.forward(tc, new int[] {tok}, ForwardOptions.LAST_ROW.withLastHidden())) {
                if (i == 1 && hiddenOut != null) {
                    hiddenOut[0] = r.lastHidden().clone();
                }
                if (i == horizon) {
                    break;
                }
                float[] l = r.row(0);
                tok = argmax(l);
                ll += logProb(l, tok);
            }
        }
        return ll / horizon;
    }

    /** Fits the head: logistic regression (see the class comment). */
    public static Result fit(List<Example> all, String target, int epochs, double l2, long seed) {
        if (all.size() < 10) {
            throw new IllegalArgumentException("judge training needs at least 10 examples (positions where the draft"
                    + " and the target disagree), found " + all.size() + ": give more prompts or tokens");
        }
        List<Example> shuffled = new ArrayList<>(all);
        java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
        int nTrain = (int) Math.round(shuffled.size() * 0.8);
        List<Example> train = shuffled.subList(0, nTrain);
        List<Example> held = shuffled.subList(nTrain, shuffled.size());
        int dim = all.get(0).hidden().length;
        int pos = 0;
        for (Example e : train) {
            pos += e.acceptable() ? 1 : 0;
        }
        double wPos = pos == 0 ? 1 : train.size() / (2.0 * pos);
        double wNeg = pos == train.size() ? 1 : train.size() / (2.0 * (train.size() - pos));
        double[] w = new double[dim];
        double b = 0;
        double[] m = new double[dim + 1];
        double[] v = new double[dim + 1];
        double lr = 0.01;
        for (int ep = 1; ep <= epochs; ep++) {
            double[] g = new double[dim + 1];
            for (Example e : train) {
                double z = b;
                float[] h = e.hidden();
                for (int i = 0; i < dim; i++) {
                    z += w[i] * h[i];
                }
                double pr = 1 / (1 + Math.exp(-z));
                double err = (pr - (e.acceptable() ? 1 : 0)) * (e.acceptable() ? wPos : wNeg) / train.size();
                for (int i = 0; i < dim; i++) {
                    g[i] += err * h[i];
                }
                g[dim] += err;
            }
            for (int i = 0; i <= dim; i++) {
                double gi = g[i] + (i < dim ? l2 * w[i] : 0);
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                double step = lr * (m[i] / (1 - Math.pow(0.9, ep))) / (Math.sqrt(v[i] / (1 - Math.pow(0.999, ep))) + 1e-8);
                if (i < dim) {
                    w[i] -= step;
                } else {
                    b -= step;
                }
            }
        }
        float[] wf = new float[dim];
        for (int i = 0; i < dim; i++) {
            wf[i] = (float) w[i];
        }
        JudgeHead head = new JudgeHead(wf, (float) b, target);
        int positives = 0;
        for (Example e : all) {
            positives += e.acceptable() ? 1 : 0;
        }
        double[] tr = confusion(head, train);
        double[] ho = confusion(head, held);
        return new Result(head, all.size(), positives, tr[0], ho[0], ho[1], ho[2]);
    }

    /** [accuracy, precision, recall] at threshold 0.5. */
    private static double[] confusion(JudgeHead head, List<Example> es) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        int ok = 0;
        for (Example e : es) {
            boolean say = head.score(e.hidden()) >= 0.5;
            ok += say == e.acceptable() ? 1 : 0;
            tp += say && e.acceptable() ? 1 : 0;
            fp += say && !e.acceptable() ? 1 : 0;
            fn += !say && e.acceptable() ? 1 : 0;
        }
        return new double[] {es.isEmpty() ? 0 : (double) ok / es.size(), tp + fp == 0 ? 0 : (double) tp / (tp + fp),
            tp + fn == 0 ? 0 : (double) tp / (tp + fn)};
    }

    private static float[] lastRow(float[] h, int dim) {
        return h.length == dim ? h : java.util.Arrays.copyOfRange(h, h.length - dim, h.length);
    }

    private static int argmax(float[] l) {
        return io.specdec.sampling.Distributions.argmax(l);
    }

    private static double logProb(float[] l, int tok) {
        return io.specdec.sampling.Distributions.logProb(l, tok);
    }
}
