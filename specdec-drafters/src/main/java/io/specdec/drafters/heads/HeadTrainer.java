package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
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
 * Trains draft heads on the target's own samples with the library's training loop ({@link LlamaTrainer#fit}: AdamW,
 * warm-up + cosine, clipping, validation, early stopping, checkpoints). The target is frozen; its hidden states and
 * logits are recomputed on the fly by the training forward ({@link TrainableLlama}) for every batch (ALGORITHMS.md
 * §12: cheaper in disk than in time, and exact).
 *
 * <p>Losses, for a batch window with target hidden states {@code h_j} and tokens {@code x}:
 * <ul>
 *   <li><b>Medusa-1</b> (Cai et al. 2024, FasterDecoding/Medusa): head k (0-based) at position j predicts
 *       {@code x_{j+k+2}} from {@code h_j}; loss {@code Σ_k λ^k · CE_k} with λ = {@code decay} (0.8);
 *   <li><b>Hydra</b> (Ankner et al. 2024, zankner/Hydra): head k also reads {@code E(x_{j+1}) … E(x_{j+k+1})}
 *       (teacher forcing); same weighting. With {@code teacherWeight} α the per-head loss is
 *       {@code (1-α)·CE(data) + α·CE(target distribution)} — Hydra++'s teacher distillation at α = 1;
 *   <li><b>EAGLE</b> (Li et al. 2024, SafeAILab/EAGLE): the layer reads {@code fc(E(x_{j+1}), h_j + noise)} causally
 *       and predicts {@code h_{j+1}}; loss {@code smoothL1(ĥ, h) + clsWeight · CE}, the CE against the target's
 *       distribution (α = 1, EAGLE's choice) or the data; uniform noise of ±{@code noise}·rms(h) on the input
 *       features (training only).
 * </ul>
 * The validation metric is the data cross-entropy of every head's (EAGLE: the next token's) prediction, nats per
 * token. Not thread-safe; closes what it created.
 */
public final class HeadTrainer implements LlamaTrainer.Objective, AutoCloseable {
    /**
     * Loss settings.
     *
     * @param decay λ of the per-head weights λ^k (Medusa/Hydra)
     * @param teacherWeight α: weight of the target-distribution CE against the data CE, in [0, 1]
     * @param clsWeight EAGLE's token-loss weight beside the feature regression
     * @param noise EAGLE's input-feature noise, as a fraction of the features' RMS
     * @param seed noise seed
     */
    public record Loss(float decay, float teacherWeight, float clsWeight, float noise, long seed) {
        public Loss {
            if (!(decay > 0 && decay <= 1) || !(teacherWeight >= 0 && teacherWeight <= 1) || !(clsWeight >= 0)
                    || !(noise >= 0)) {
                throw new IllegalArgumentException("head loss settings out of range: decay " + decay
                        + " (0..1], teacher weight " + teacherWeight + " [0..1], cls weight " + clsWeight
                        + " >= 0, noise " + noise + " >= 0");
            }
        }

        /** The papers' defaults for a kind: Medusa data CE, Hydra data CE, EAGLE teacher CE with 0.1 and noise. */
        public static Loss defaults(HeadKind kind) {
            return switch (kind) {
                case MEDUSA, HYDRA -> new Loss(0.8f, 0f, 0f, 0f, 1);
                case EAGLE -> new Loss(1f, 1f, 0.1f, 0.1f, 1);
            };
        }
    }

    private final DraftHeads init;
    private final Loss loss;
    private final TrainableLlama target;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final TrainableLlama eagle; // EAGLE only: the decoder layer (its embedding and head frozen)
    private final SplittableRandom noise;

    /**
     * @param heads the starting heads ({@link DraftHeads#init} or a previous run)
     * @param targetWeights the target they read (must match {@code heads.target()})
     */
    public HeadTrainer(DraftHeads heads, LlamaWeights targetWeights, Loss loss) {
        heads.requireTarget(targetWeights.config(), "head training");
        this.init = heads;
        this.loss = loss;
        this.noise = new SplittableRandom(loss.seed());
        this.manager = SpecdecEngine.newManager();
        TrainableLlama t = null;
        TrainableLlama e = null;
        try {
            t = TrainableLlama.frozen(targetWeights);
            if (heads.kind() == HeadKind.EAGLE) {
                LlamaWeights tw = targetWeights;
                e = TrainableLlama.of(heads.eagleLayer(tw.embedding(), tw.lmHead()));
                e.setTrainable(n -> n.startsWith("layers.") || n.equals("final_norm"));
                for (Map.Entry<String, NDArray> p : e.parameters().entrySet()) {
                    if (p.getValue().hasGradient()) {
                        params.put(eagleName(p.getKey()), p.getValue());
                    }
                }
                for (String n : new String[] {"eagle.fc.w", "eagle.fc.b"}) {
                    NDArray a = manager.create(heads.tensor(n), new Shape(heads.shapes().get(n)));
                    a.setRequiresGradient(true);
                    params.put(n, a);
                }
            } else {
                for (String n : heads.names()) {
                    NDArray a = manager.create(heads.tensor(n), new Shape(heads.shapes().get(n)));
                    a.setRequiresGradient(true);
                    params.put(n, a);
                }
            }
        } catch (RuntimeException ex) {
            if (t != null) {
                t.close();
            }
            if (e != null) {
                e.close();
            }
            manager.close();
            throw ex;
        }
        this.target = t;
        this.eagle = e;
    }

    /** TrainableLlama's layer-0 / final-norm names → {@link DraftHeads}' EAGLE names. */
    private static String eagleName(String n) {
        return n.equals("final_norm") ? "eagle.final_norm" : "eagle." + n.substring("layers.0.".length());
    }

    @Override
    public Map<String, NDArray> parameters() {
        return params;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    /** The heads with the current trained values. */
    public DraftHeads heads() {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            v.put(e.getKey(), e.getValue().toFloatArray());
        }
        return init.with(v);
    }

    @Override
    public void write(Path file) throws IOException {
        heads().save(file);
    }

    @Override
    public NDArray[] losses(NDManager m, TrainingData.Batch b, boolean training) {
        int bs = b.b();
        int t = b.t();
        TrainableLlama.Output out = target.forward(m, m.create(b.inputs(), new Shape(bs, t)));
        NDArray h = out.hidden().stopGradient();                                                  // [B,T,D]
        NDArray tLogits = out.logits().stopGradient();                                            // [B,T,V]
        NDArray targets = m.create(b.targets(), new Shape(bs, t));
        NDArray mask = m.create(b.mask(), new Shape(bs, t));
        NDArray lm = target.parameters().containsKey("output") ? target.parameters().get("output")
                : target.parameters().get("embedding");
        return init.kind() == HeadKind.EAGLE ? eagleLosses(m, h, tLogits, targets, mask, training)
                : headLosses(m, h, tLogits, targets, mask, lm);
    }

    private NDArray[] headLosses(NDManager m, NDArray h, NDArray tLogits, NDArray targets, NDArray mask,
            NDArray lm) {
        int t = (int) h.getShape().get(1);
        NDArray total = m.zeros(new Shape());
        NDArray ceSum = m.zeros(new Shape());
        NDArray count = m.zeros(new Shape());
        for (int k = 0; k < init.count() && k + 1 < t; k++) {
            int d = k + 1;
            NDIndex rows = new NDIndex(":, 0:" + (t - d));
            NDIndex ahead = new NDIndex(":, " + d + ":" + t);
            NDArray hk = h.get(rows);
            NDArray x;
            if (init.kind() == HeadKind.MEDUSA) {
                x = HeadMath.medusa(params, k, init.blocks(), hk);
            } else {
                NDList parts = new NDList(hk);
                for (int i = 0; i <= k; i++) {
                    NDArray toks = targets.get(new NDIndex(":, " + i + ":" + (t - d + i)));
                    parts.add(target.embed(m, toks));
                }
                x = HeadMath.hydra(params, k, init.blocks(), NDArrays.concat(parts, -1));
            }
            NDArray logp = Linear.linear(x, lm).singletonOrThrow().logSoftmax(-1);                // [B,T-d,V]
            NDArray mk = mask.get(ahead);
            NDArray labels = targets.get(ahead);
            NDArray picked = logp.gather(labels.toType(ai.djl.ndarray.types.DataType.INT64, false).expandDims(-1), -1)
                    .squeeze(-1);
            NDArray ce = picked.mul(mk).sum().neg();
            NDArray n = mk.sum();
            NDArray lk = ce;
            if (loss.teacherWeight() > 0) {
                NDArray pT = tLogits.get(ahead).softmax(-1);
                NDArray soft = logp.mul(pT).sum(new int[] {-1}).mul(mk).sum().neg();
                lk = ce.mul(1 - loss.teacherWeight()).add(soft.mul(loss.teacherWeight()));
            }
            float w = (float) Math.pow(loss.decay(), k);
            total = total.add(lk.div(n.maximum(1f)).mul(w));
            ceSum = ceSum.add(ce);
            count = count.add(n);
        }
        return new NDArray[] {total, ceSum, count};
    }

    private NDArray[] eagleLosses(NDManager m, NDArray h, NDArray tLogits, NDArray targets, NDArray mask,
            boolean training) {
        long bs = h.getShape().get(0);
        int t = (int) h.getShape().get(1);
        long d = h.getShape().get(2);
        NDIndex rows = new NDIndex(":, 0:" + (t - 1));
        NDIndex ahead = new NDIndex(":, 1:" + t);
        NDArray f = h.get(rows);
        if (training && loss.noise() > 0) {
            float rms = f.square().mean().sqrt().getFloat();
            float[] u = new float[(int) (bs * (t - 1) * d)];
            float a = loss.noise() * rms;
            for (int i = 0; i < u.length; i++) {
                u[i] = (float) ((noise.nextDouble() * 2 - 1) * a);
            }
            f = f.add(m.create(u, f.getShape()));
        }
        NDArray tok = target.embed(m, targets.get(rows));
        NDArray in = HeadMath.eagleInput(params, tok, f);
        TrainableLlama.Output o = eagle.forwardEmbeddings(m, in);
        NDArray mk = mask.get(ahead);
        NDArray n = mk.sum();
        NDArray diff = o.hidden().sub(h.get(ahead));
        NDArray ad = diff.abs();
        NDArray sl1 = NDArrays.where(ad.lt(1f), diff.square().mul(0.5f), ad.sub(0.5f)).mean(new int[] {-1});
        NDArray reg = sl1.mul(mk).sum();
        NDArray logp = o.logits().logSoftmax(-1);
        NDArray labels = targets.get(ahead).toType(ai.djl.ndarray.types.DataType.INT64, false).expandDims(-1);
        NDArray ce = logp.gather(labels, -1).squeeze(-1).mul(mk).sum().neg();
        NDArray cls = ce;
        if (loss.teacherWeight() > 0) {
            NDArray pT = tLogits.get(ahead).softmax(-1);
            NDArray soft = logp.mul(pT).sum(new int[] {-1}).mul(mk).sum().neg();
            cls = ce.mul(1 - loss.teacherWeight()).add(soft.mul(loss.teacherWeight()));
        }
        NDArray total = reg.add(cls.mul(loss.clsWeight())).div(n.maximum(1f));
        return new NDArray[] {total, ce, n};
    }

    /** Trains with {@link LlamaTrainer#fit}; checkpoints ({@code best.gguf}, {@code last.gguf}) are heads files. */
    public LlamaTrainer.Result train(TrainingData train, TrainingData val, LlamaTrainer.Config cfg, Path dir,
            LlamaTrainer.Listener listener) throws IOException {
        if (train.vocab() != init.target().vocabSize() || val.vocab() != init.target().vocabSize()) {
            throw new IllegalArgumentException("training data has vocab " + train.vocab() + ", the heads' target "
                    + init.target().vocabSize());
        }
        return LlamaTrainer.fit(this, train, val, cfg, dir, listener);
    }

    @Override
    public void close() {
        target.close();
        if (eagle != null) {
            eagle.close();
        }
        manager.close();
    }
}
