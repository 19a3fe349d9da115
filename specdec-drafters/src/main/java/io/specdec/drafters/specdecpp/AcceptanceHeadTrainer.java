package io.specdec.drafters.specdecpp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.specdec.drafters.heads.HeadMath;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.LlamaWeights;
import io.specdec.train.LlamaTrainer;
import io.specdec.train.TrainableLlama;
import io.specdec.train.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains an {@link AcceptanceHead} with SpecDec++'s recipe (ALGORITHMS.md §7; Huang et al. 2024, reference
 * Kaffaljidhmah2/SpecDec_pp) on the library's training loop ({@link LlamaTrainer#fit}). Per batch window of
 * target-generated text x:
 * <ol>
 *   <li>the (frozen) draft runs over x; at every position a draft token {@code y ~ q} is sampled (T = 1);</li>
 *   <li>the input is mixed: each next token is the draft's y, or with probability {@code mixing} (0.15) the
 *       target's own token, whose label is then ignored;</li>
 *   <li>draft and target (both frozen) run over the mixed text; at each position with a drafted next token y the
 *       soft label is {@code min(1, p(y)/q(y))} with p and q from those forwards;</li>
 *   <li>the head, on the draft's last hidden state there, is trained with BCE weighted {@code rejectWeight} (6) on
 *       the rejection class.</li>
 * </ol>
 * The validation metric is the unweighted BCE of the calibrated prediction ({@link AcceptanceHead#accept}), nats per
 * labelled position. Deterministic for a seed; validation
 * batches draw their samples from a fixed seed. Not thread-safe; closes what it created.
 */
public final class AcceptanceHeadTrainer implements LlamaTrainer.Objective, AutoCloseable {
    private final AcceptanceHead init;
    private final TrainableLlama draft;
    private final TrainableLlama target;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final float mixing;
    private final float rejectWeight;
    private final SplittableRandom rng;

    /**
     * @param head the starting head (for {@code draftWeights}' config)
     * @param mixing probability that a position keeps the target's token (label ignored), in [0, 1)
     * @param rejectWeight BCE weight of the rejection class (≥ 1 typical)
     */
    public AcceptanceHeadTrainer(AcceptanceHead head, LlamaWeights draftWeights, LlamaWeights targetWeights,
            float mixing, float rejectWeight, long seed) {
        head.requireDraft(draftWeights.config(), "acceptance-head training");
        if (draftWeights.config().vocabSize() != targetWeights.config().vocabSize()) {
            throw new IllegalArgumentException("draft vocabulary " + draftWeights.config().vocabSize()
                    + " differs from the target's " + targetWeights.config().vocabSize());
        }
        if (!(mixing >= 0 && mixing < 1) || !(rejectWeight > 0)) {
            throw new IllegalArgumentException("mixing must be in [0, 1) and the reject weight > 0, found " + mixing
                    + ", " + rejectWeight);
        }
        this.init = head;
        this.mixing = mixing;
        this.rejectWeight = rejectWeight;
        this.rng = new SplittableRandom(seed);
        this.manager = SpecdecEngine.newManager();
        TrainableLlama d = null;
        TrainableLlama t = null;
        try {
            d = TrainableLlama.frozen(draftWeights);
            t = TrainableLlama.frozen(targetWeights);
            for (Map.Entry<String, long[]> e : AcceptanceHead.layout(head.draft().dim(), head.blocks()).entrySet()) {
                NDArray a = manager.create(head.tensor(e.getKey()), new Shape(e.getValue()));
                a.setRequiresGradient(true);
                params.put(e.getKey(), a);
            }
        } catch (RuntimeException ex) {
            if (d != null) {
                d.close();
            }
            if (t != null) {
                t.close();
            }
            manager.close();
            throw ex;
        }
        this.draft = d;
        this.target = t;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return params;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    /** The head with the current values. */
    public AcceptanceHead head() {
        Map<String, float[]> v = new LinkedHashMap<>();
        params.forEach((k, a) -> v.put(k, a.toFloatArray()));
        return init.with(v).withRejectWeight(rejectWeight);
    }

    @Override
    public void write(Path file) throws IOException {
        head().save(file);
    }

    /** The mixed input, its next tokens and which of them were drafted, for one batch. */
    record Mixed(int[] inputs, int[] next, float[] drafted) {}

    /** Builds the mixed text of a batch (steps 1–2 of the class doc). */
    Mixed mix(NDManager m, TrainingData.Batch b, SplittableRandom r) {
        int bs = b.b();
        int t = b.t();
        int v = draft.config().vocabSize();
        float[] q = draft.forward(m, m.create(b.inputs(), new Shape(bs, t))).logits().softmax(-1).toFloatArray();
        int[] in = b.inputs().clone();
        int[] next = new int[bs * t];
        float[] drafted = new float[bs * t];
        for (int i = 0; i < bs; i++) {
            for (int j = 0; j < t; j++) {
                int o = i * t + j;
                boolean keepTarget = r.nextDouble() < mixing;
                int y = keepTarget ? b.targets()[o] : sample(q, o * v, v, r);
                next[o] = y;
                drafted[o] = keepTarget ? 0f : b.mask()[o];
                if (j + 1 < t) {
                    in[o + 1] = y;
                }
            }
        }
        return new Mixed(in, next, drafted);
    }

    private static int sample(float[] q, int off, int v, SplittableRandom r) {
        double u = r.nextDouble();
        double c = 0;
        for (int k = 0; k < v; k++) {
            c += q[off + k];
            if (u < c) {
                return k;
            }
        }
        return v - 1;
    }

    /** Soft labels {@code min(1, p(y)/q(y))} and the draft's hidden states for a mixed batch (step 3). */
    NDArray[] labelled(NDManager m, Mixed x, int bs, int t) {
        NDArray ids = m.create(x.inputs(), new Shape(bs, t));
        TrainableLlama.Output d = draft.forward(m, ids);
        TrainableLlama.Output p = target.forward(m, ids);
        long[] nx = new long[x.next().length];
        for (int i = 0; i < nx.length; i++) {
            nx[i] = x.next()[i];
        }
        NDArray idx = m.create(nx, new Shape(bs, t, 1));
        NDArray lq = d.logits().stopGradient().logSoftmax(-1).gather(idx, -1).squeeze(-1);
        NDArray lp = p.logits().stopGradient().logSoftmax(-1).gather(idx, -1).squeeze(-1);
        NDArray label = lp.sub(lq).exp().minimum(1f);
        return new NDArray[] {d.hidden().stopGradient(), label};
    }

    /** Head output: log P(accepted), log P(rejected), {@code [B, T]} each. */
    NDArray[] logProbs(NDArray hidden) {
        NDArray x = hidden;
        for (int b = 0; b < init.blocks(); b++) {
            x = HeadMath.block(x, params.get("acc." + b + ".w"), params.get("acc." + b + ".b"));
        }
        NDArray logits = Linear.linear(x, params.get("acc.out.w"), params.get("acc.out.b")).singletonOrThrow();
        NDArray lsm = logits.logSoftmax(-1);
        return new NDArray[] {lsm.get("..., 1"), lsm.get("..., 0")};
    }

    @Override
    public NDArray[] losses(NDManager m, TrainingData.Batch b, boolean training) {
        SplittableRandom r = training ? rng : new SplittableRandom(java.util.Arrays.hashCode(b.inputs()));
        Mixed x = mix(m, b, r);
        NDArray[] hl = labelled(m, x, b.b(), b.t());
        NDArray label = hl[1];
        NDArray mask = m.create(x.drafted(), new Shape(b.b(), b.t()));
        NDArray[] lp = logProbs(hl[0]);
        NDArray pos = label.mul(lp[0]);
        NDArray neg = label.neg().add(1f).mul(lp[1]);
        NDArray n = mask.sum();
        NDArray weighted = pos.add(neg.mul(rejectWeight)).mul(mask).sum().neg().div(n.maximum(1f));
        // the metric: unweighted BCE of the calibrated prediction c = w a / (1 - a + w a) (what accept() returns)
        NDArray logDen = lp[1].exp().add(lp[0].exp().mul(rejectWeight)).log();
        NDArray logC = lp[0].add((float) Math.log(rejectWeight)).sub(logDen);
        NDArray log1mC = lp[1].sub(logDen);
        NDArray bce = label.mul(logC).add(label.neg().add(1f).mul(log1mC)).mul(mask).sum().neg();
        return new NDArray[] {weighted, bce, n};
    }

    /**
     * Predicted (calibrated, {@link AcceptanceHead#accept}) acceptance and its soft label (and a sampled accept/reject outcome) at every labelled position of a
     * batch, for calibration and AUC: {@code [predicted, label, accepted ∈ {0, 1}]} per position.
     */
    public float[][] evaluate(TrainingData.Batch b, long seed) {
        try (NDManager m = SpecdecEngine.newManager()) {
            SplittableRandom r = new SplittableRandom(seed);
            Mixed x = mix(m, b, r);
            NDArray[] hl = labelled(m, x, b.b(), b.t());
            float[] pred = logProbs(hl[0])[0].exp().toFloatArray();
            for (int i = 0; i < pred.length; i++) {
                pred[i] = AcceptanceHead.calibrate(pred[i], rejectWeight);
            }
            float[] label = hl[1].toFloatArray();
            int n = 0;
            for (float f : x.drafted()) {
                n += f > 0 ? 1 : 0;
            }
            float[][] out = new float[n][];
            int k = 0;
            for (int i = 0; i < pred.length; i++) {
                if (x.drafted()[i] > 0) {
                    out[k++] = new float[] {pred[i], label[i], r.nextDouble() < label[i] ? 1f : 0f};
                }
            }
            return out;
        }
    }

    /** Trains with {@link LlamaTrainer#fit}; checkpoints are acceptance-head files. */
    public LlamaTrainer.Result train(TrainingData train, TrainingData val, LlamaTrainer.Config cfg, Path dir,
            LlamaTrainer.Listener listener) throws IOException {
        return LlamaTrainer.fit(this, train, val, cfg, dir, listener);
    }

    @Override
    public void close() {
        draft.close();
        target.close();
        manager.close();
    }
}
