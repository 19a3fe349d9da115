package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * <p>Each family's loss is its {@link HeadArchitecture#training}; for a batch window with target hidden states
 * {@code h_j} and tokens {@code x}:
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
 *   <li>other families: their {@link HeadArchitecture#training}.
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

        /** The paper's defaults for a family ({@link HeadArchitecture#defaultLoss}). */
        public static Loss defaults(HeadArchitecture a) {
            return a.defaultLoss();
        }
    }

    private final DraftHeads init;
    private final Loss loss;
    private final TrainableLlama target;
    private final NDManager manager;
    private final HeadArchitecture.Training training;
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
        HeadArchitecture.Training tr = null;
        try {
            t = TrainableLlama.frozen(targetWeights);
            tr = heads.architecture().training(heads, targetWeights, manager);
        } catch (RuntimeException ex) {
            if (t != null) {
                t.close();
            }
            manager.close();
            throw ex;
        }
        this.target = t;
        this.training = tr;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return training.parameters();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    /** The heads with the current trained values. */
    public DraftHeads heads() {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : training.parameters().entrySet()) {
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
        return this.training.losses(new HeadBatch(m, target, h, tLogits, targets, mask, loss, training, noise));
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
        try {
            training.close();
        } finally {
            target.close();
            manager.close();
        }
    }
}
