package io.specdec.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import com.google.gson.Gson;
import io.specdec.engine.SpecdecEngine;
import io.specdec.io.CheckpointWriter;
import io.specdec.io.GgufFile;
import io.specdec.io.GgufWriter;
import io.specdec.io.TensorInfo;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link TrainableLlama} on DJL autograd (ALGORITHMS.md §12): next-token cross-entropy, plus
 * {@code klWeight · KL(p_teacher ‖ q)} on the teacher's stored top-k (renormalised) when the data has it; AdamW
 * ({@link AdamW}) with linear warm-up then cosine decay (DJL's {@code WarmUpTracker} over a {@code CosineTracker}),
 * gradient clipping by global norm, validation loss every {@code evalEvery} steps, early stopping after
 * {@code patience} evaluations without improvement, and checkpoints.
 *
 * <p>Checkpoint folder: {@code last.gguf} and {@code best.gguf} (the model at the latest checkpoint and at the best
 * validation loss, GGUF through {@link CheckpointWriter}, loadable by every model path of the library, with the
 * tokenizer when one is given) and {@code trainer.gguf} (written with {@link GgufWriter}: the trainer config, the
 * model config, step, best loss, the loss log, every parameter and both AdamW moments). {@link #resume} continues
 * from {@code trainer.gguf}; since batches are a function of (seed, step) ({@link TrainingData}) the resumed run
 * repeats the uninterrupted run's losses to float rounding. Not thread-safe.
 */
public final class LlamaTrainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LlamaTrainer.class);
    /** Consecutive non-finite steps (skipped) after which training stops as diverged. */
    static final int MAX_SKIPS = 5;
    private static final Gson GSON = new Gson();
    private static final String STATE = "trainer.gguf";

    private LlamaTrainer() {}

    /**
     * Training settings.
     *
     * @param steps optimizer steps in total
     * @param batchSize sequences per step
     * @param seqLen predicted positions per sequence
     * @param lr peak learning rate
     * @param minLr final learning rate of the cosine
     * @param warmupSteps linear warm-up steps (from 0)
     * @param weightDecay AdamW decoupled decay on matrices
     * @param clipNorm global gradient-norm clip (0 = none)
     * @param evalEvery steps between validations (and checkpoints)
     * @param evalBatches validation batches per evaluation
     * @param patience evaluations without improvement before stopping (0 = never stop early)
     * @param klWeight weight of the KL term to the teacher's top-k (used when the data has it)
     * @param seed batch sampling seed
     * @param exits sorted fine-tuning (S2D, Kavehzadeh et al. 2024): the layer counts (1-based, ascending, the last
     *     = the model's layers) after which the final norm and LM head also read the residual stream; the loss is
     *     summed over them and the validation metric is their mean cross-entropy, so every prefix of the layers is a
     *     model of its own. Null or empty: the last layer only
     */
    public record Config(int steps, int batchSize, int seqLen, float lr, float minLr, int warmupSteps,
            float weightDecay, float clipNorm, int evalEvery, int evalBatches, int patience, float klWeight,
            long seed, int[] exits) {
        /** A config training the last layer's output only. */
        public Config(int steps, int batchSize, int seqLen, float lr, float minLr, int warmupSteps, float weightDecay,
                float clipNorm, int evalEvery, int evalBatches, int patience, float klWeight, long seed) {
            this(steps, batchSize, seqLen, lr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                    patience, klWeight, seed, null);
        }

        /** Checks the numbers; throws naming the bad field. */
        public Config {
            req(steps >= 1, "steps", steps);
            req(batchSize >= 1 && batchSize <= 4096, "batch size", batchSize);
            req(seqLen >= 1, "sequence length", seqLen);
            req(lr > 0 && lr < 10, "learning rate", lr);
            req(minLr >= 0 && minLr <= lr, "min learning rate (0..lr)", minLr);
            req(warmupSteps >= 0 && warmupSteps < steps, "warm-up steps (0..steps-1)", warmupSteps);
            req(weightDecay >= 0 && weightDecay < 1, "weight decay", weightDecay);
            req(clipNorm >= 0, "clip norm", clipNorm);
            req(evalEvery >= 1, "eval every", evalEvery);
            req(evalBatches >= 1, "eval batches", evalBatches);
            req(patience >= 0, "patience", patience);
            req(klWeight >= 0, "KL weight", klWeight);
            if (exits != null) {
                for (int i = 0; i < exits.length; i++) {
                    req(exits[i] >= 1 && (i == 0 || exits[i] > exits[i - 1]), "exits (ascending layer counts >= 1)",
                            java.util.Arrays.toString(exits));
                }
                exits = exits.clone();
            }
        }

        /** This config training the exits {@code e} (S2D's sorted fine-tuning). */
        public Config withExits(int[] e) {
            return new Config(steps, batchSize, seqLen, lr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery,
                    evalBatches, patience, klWeight, seed, e);
        }

        private static void req(boolean ok, String what, Object v) {
            if (!ok) {
                throw new IllegalArgumentException("invalid training setting: " + what + " = " + v);
            }
        }

        /** This config with {@code n} steps (to extend a run: the cosine schedule is stretched to the new end). */
        public Config withSteps(int n) {
            return new Config(n, batchSize, seqLen, lr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery,
                    evalBatches, patience, klWeight, seed, exits);
        }

        /** Defaults: 1000 steps, batch 16 x 128, lr 3e-3 → 3e-4, 50 warm-up, wd 0.1, clip 1, eval every 100 (8
         * batches), patience 5, KL weight 1, seed 1. */
        public static Config defaults() {
            return new Config(1000, 16, 128, 3e-3f, 3e-4f, 50, 0.1f, 1f, 100, 8, 5, 1f, 1);
        }
    }

    /** Progress callbacks (all optional). */
    public interface Listener {
        /** After each step. */
        default void onStep(int step, int steps, float loss, float lr, double tokensPerSecond) {}

        /** After each validation. */
        default void onEval(int step, float valLoss, float bestValLoss) {}

        /** Asked after each step; true writes a checkpoint and returns (the run can be resumed). */
        default boolean stopRequested(int step) {
            return false;
        }
    }

    /**
     * What a run did.
     *
     * @param step the last step done
     * @param bestValLoss lowest validation cross-entropy (nats per token)
     * @param bestStep the step it was measured at
     * @param stoppedEarly true when patience ran out
     * @param trainLoss training loss of every step 1..step (resumed runs include the earlier steps)
     * @param evals {@code [step, validation loss]} per evaluation
     * @param seconds wall time of this call
     * @param tokens predicted positions trained on by this call
     */
    public record Result(int step, float bestValLoss, int bestStep, boolean stoppedEarly, float[] trainLoss,
            List<float[]> evals, double seconds, long tokens) {}

    /**
     * What the training loop optimises: named parameters (those with gradients are trained), a loss per batch, and
     * how the trained state is written. {@link #train} wraps a {@link TrainableLlama}; draft heads (Medusa, Hydra,
     * EAGLE-style) and other trainable parts supply their own, so every trainer of the library shares one loop
     * (schedule, AdamW, clipping, non-finite guard, validation, early stopping, checkpoints).
     */
    public interface Objective {
        /** Every parameter by name (live arrays); those that require gradients are trained. */
        Map<String, NDArray> parameters();

        /** The manager owning the parameters (optimizer state is created beside them). */
        NDManager manager();

        /**
         * Losses of one batch, arrays attached to {@code m}: {@code [loss to minimise, summed validation metric,
         * count]}; the validation loss is {@code sum(metric) / sum(count)} over the validation batches.
         *
         * @param training true inside the gradient collector (noise, dropout and the like apply only then)
         */
        NDArray[] losses(NDManager m, TrainingData.Batch b, boolean training);

        /** A constant subtracted from the reported training loss of a batch (e.g. the teacher's entropy). */
        default double lossOffset(TrainingData.Batch b) {
            return 0;
        }

        /** Writes the trained state as a usable artifact (best and last checkpoints). */
        void write(Path file) throws IOException;

        /** Adds what a resume needs besides parameters and moments to the trainer state (e.g. the model config). */
        default void describe(GgufWriter state) {}
    }

    /**
     * Trains any {@link Objective} from its current parameters; {@code best.gguf} / {@code last.gguf} (its
     * {@link Objective#write}) and {@code trainer.gguf} go to {@code dir} (created; null = none).
     */
    public static Result fit(Objective objective, TrainingData train, TrainingData val, Config cfg, Path dir,
            Listener listener) throws IOException {
        return new Run(objective, train, val, cfg, dir, listener == null ? new Listener() {} : listener,
                new AdamW(0.9f, 0.95f, 1e-8f, cfg.weightDecay())).loop(0, Float.POSITIVE_INFINITY, 0, 0,
                new ArrayList<>(), new ArrayList<>());
    }

    /** Mean validation metric of {@code objective} on {@code batches} fixed batches (seed {@code seed ^ 0x5EED}). */
    public static float evaluate(Objective objective, TrainingData data, int batches, int batchSize, int seqLen,
            long seed) {
        double sum = 0;
        double n = 0;
        for (int i = 0; i < batches; i++) {
            TrainingData.Batch b = data.batch(seed ^ 0x5EEDL, i, batchSize, seqLen);
            try (NDManager m = SpecdecEngine.newManager()) {
                NDArray[] ce = objective.losses(m, b, false);
                sum += ce[1].getFloat();
                n += ce[2].getFloat();
            }
        }
        return (float) (sum / Math.max(1, n));
    }

    /** The Llama objective: next-token CE (+ KL to the stored teacher top-k), written with the project's writer. */
    private record LlamaObjective(TrainableLlama model, SentencePieceBpeTokenizer tokenizer, float klWeight,
            int[] exits) implements Objective {
        @Override
        public Map<String, NDArray> parameters() {
            return model.parameters();
        }

        @Override
        public NDManager manager() {
            return model.manager();
        }

        @Override
        public NDArray[] losses(NDManager m, TrainingData.Batch b, boolean training) {
            return LlamaTrainer.losses(model, m, b, training ? klWeight : 0f, exits);
        }

        @Override
        public double lossOffset(TrainingData.Batch b) {
            return klWeight > 0 ? klWeight * teacherEntropy(b) * (exits == null || exits.length == 0 ? 1
                    : exits.length) : 0;
        }

        @Override
        public void write(Path file) throws IOException {
            CheckpointWriter.writeGguf(model.toWeights(), tokenizer, file);
        }

        @Override
        public void describe(GgufWriter g) {
            g.putMetadata("specdec.trainer.model_config", GSON.toJson(model.config()));
        }
    }

    private static Objective llama(TrainableLlama model, SentencePieceBpeTokenizer tokenizer, TrainingData train,
            Config cfg) {
        int[] exits = cfg.exits();
        if (exits != null && exits.length > 0 && exits[exits.length - 1] != model.config().layers()) {
            throw new IllegalArgumentException("exits " + java.util.Arrays.toString(exits) + ": the last must be the"
                    + " model's " + model.config().layers() + " layers");
        }
        return new LlamaObjective(model, tokenizer, train.topK() > 0 && cfg.klWeight() > 0 ? cfg.klWeight() : 0f,
                exits);
    }

    /** Trains from the model's current weights; checkpoints go to {@code dir} (created; null = none). */
    public static Result train(TrainableLlama model, TrainingData train, TrainingData val, Config cfg, Path dir,
            SentencePieceBpeTokenizer tokenizer, Listener listener) throws IOException {
        check(model, train, val);
        return fit(llama(model, tokenizer, train, cfg), train, val, cfg, dir, listener);
    }

    /**
     * Continues the run checkpointed in {@code dir} with the same data. The returned model is closed by the trainer
     * at the end; the result's weights are in {@code dir/last.gguf} and {@code dir/best.gguf}.
     *
     * @throws IllegalArgumentException when {@code dir} holds no trainer state or one for another vocabulary
     */
    public static Result resume(Path dir, TrainingData train, TrainingData val, SentencePieceBpeTokenizer tokenizer,
            Listener listener) throws IOException {
        return resume(dir, train, val, tokenizer, listener, 0);
    }

    /**
     * As {@link #resume(Path, TrainingData, TrainingData, SentencePieceBpeTokenizer, Listener)}, running to
     * {@code steps} instead of the checkpointed total when {@code steps > 0} and differs from it: a finished run is
     * extended (its cosine schedule stretched to the new end, so the learning rate rises again from where the longer
     * schedule stands). A finished run resumed with its own total (or 0) returns at once with its result.
     *
     * @throws IllegalArgumentException when {@code steps} differs from the run's total and is not above its step
     */
    public static Result resume(Path dir, TrainingData train, TrainingData val, SentencePieceBpeTokenizer tokenizer,
            Listener listener, int steps) throws IOException {
        Path state = dir.resolve(STATE);
        if (!Files.isRegularFile(state)) {
            throw new IllegalArgumentException(dir + ": no " + STATE + " to resume from");
        }
        try (GgufFile f = GgufFile.open(state)) {
            Config cfg;
            try {
                cfg = GSON.fromJson(f.getString("specdec.trainer.config"), Config.class);
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                throw new IllegalArgumentException(f.path() + ": metadata specdec.trainer.config is not a trainer"
                        + " config (" + (m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m) + ")");
            }
            if (cfg == null) {
                throw new IllegalArgumentException(f.path() + ": metadata specdec.trainer.config is empty");
            }
            long done = f.getLong("specdec.trainer.step");
            if (steps > 0 && steps != cfg.steps()) {
                if (steps <= done) {
                    throw new IllegalArgumentException(dir + ": the run is at step " + done + " of " + cfg.steps()
                            + "; to extend it, --steps must be above " + done + ", found " + steps);
                }
                cfg = cfg.withSteps(steps);
            }
            LlamaConfig lc = io.specdec.io.ConfigJson.llamaConfig(f.getString("specdec.trainer.model_config"),
                    f.path() + ": metadata specdec.trainer.model_config");
            String[] trainable = f.getStringArray("specdec.trainer.trainable");
            try (TrainableLlama model = TrainableLlama.of(LlamaWeights.random(lc, 0, 0.01f))) {
                java.util.Set<String> tset = java.util.Set.of(trainable);
                for (String name : model.parameters().keySet()) {
                    model.load(name, tensor(f, "model." + name));
                }
                model.setTrainable(tset::contains);
                check(model, train, val);
                AdamW opt = new AdamW(0.9f, 0.95f, 1e-8f, cfg.weightDecay());
                Map<String, float[][]> mom = new LinkedHashMap<>();
                for (String name : trainable) {
                    if (f.find("adam.m." + name) != null) {
                        mom.put(name, new float[][] {tensor(f, "adam.m." + name), tensor(f, "adam.v." + name)});
                    }
                }
                int step = (int) f.getLong("specdec.trainer.step");
                opt.restore(step, mom, model.parameters(), model.manager());
                float[] log = tensor(f, "log.train_loss");
                List<Float> losses = new ArrayList<>();
                for (float x : log) {
                    losses.add(x);
                }
                List<float[]> evals = new ArrayList<>();
                TensorInfo ev = f.find("log.evals");
                if (ev != null) {
                    float[] e = f.readFloats(ev);
                    for (int i = 0; i + 1 < e.length; i += 2) {
                        evals.add(new float[] {e[i], e[i + 1]});
                    }
                }
                return new Run(llama(model, tokenizer, train, cfg), train, val, cfg, dir,
                        listener == null ? new Listener() {} : listener, opt).loop(step, (float) f.getDouble("specdec.trainer.best_val", Double.POSITIVE_INFINITY),
                        (int) f.getLong("specdec.trainer.best_step", 0), (int) f.getLong("specdec.trainer.bad_evals", 0),
                        losses, evals);
            }
        }
    }

    private static float[] tensor(GgufFile f, String name) {
        TensorInfo t = f.find(name);
        if (t == null) {
            throw new IllegalArgumentException(f.path() + ": trainer state lacks tensor '" + name + "'");
        }
        return f.readFloats(t);
    }

    private static void check(TrainableLlama model, TrainingData train, TrainingData val) {
        int v = model.config().vocabSize();
        if (train.vocab() != v || val.vocab() != v) {
            throw new IllegalArgumentException("training data has vocab " + train.vocab() + " (validation "
                    + val.vocab() + "), the model " + v);
        }
    }

    /**
     * Mean next-token cross-entropy (nats per predicted token) of {@code model} on {@code batches} fixed batches of
     * {@code data} (batch i drawn with seed {@code seed ^ 0x5EED}).
     */
    public static float evaluate(TrainableLlama model, TrainingData data, int batches, int batchSize, int seqLen,
            long seed) {
        return evaluate(new LlamaObjective(model, null, 0f, null), data, batches, batchSize, seqLen, seed);
    }

    /**
     * [loss to minimise, summed CE, mask count] for one batch; with several exits, the loss is summed over them and
     * the summed CE is their mean.
     */
    private static NDArray[] losses(TrainableLlama model, NDManager m, TrainingData.Batch b, float klWeight,
            int[] exits) {
        NDArray ids = m.create(b.inputs(), new Shape(b.b(), b.t()));
        List<NDArray> all = exits == null || exits.length <= 1 ? List.of(model.forward(m, ids).logits())
                : model.forwardExits(m, ids, exits);
        long[] tg = new long[b.targets().length];
        for (int i = 0; i < tg.length; i++) {
            tg[i] = b.targets()[i];
        }
        NDArray mask = m.create(b.mask(), new Shape(b.b(), b.t()));
        NDArray count = mask.sum();
        NDArray denom = count.maximum(1f);
        NDArray targets = m.create(tg, new Shape(b.b(), b.t(), 1));
        NDArray loss = null;
        NDArray ceTotal = null;
        for (NDArray logits : all) {
            NDArray logp = logits.logSoftmax(-1);                                                 // [B,T,V]
            NDArray picked = logp.gather(targets, -1).reshape(b.b(), b.t());
            NDArray ceSum = picked.mul(mask).sum().neg();
            NDArray l = ceSum.div(denom);
            if (klWeight > 0 && b.teacherIds() != null) {
                int k = b.teacherIds().length / (b.b() * b.t());
                long[] ti = new long[b.teacherIds().length];
                for (int i = 0; i < ti.length; i++) {
                    ti[i] = b.teacherIds()[i];
                }
                NDArray q = logp.gather(m.create(ti, new Shape(b.b(), b.t(), k)), -1);           // [B,T,k]
                NDArray xent = q.mul(m.create(b.teacherProbs(), new Shape(b.b(), b.t(), k))).sum().neg().div(denom);
                l = l.add(xent.mul(klWeight));
            }
            loss = loss == null ? l : loss.add(l);
            ceTotal = ceTotal == null ? ceSum : ceTotal.add(ceSum);
        }
        return new NDArray[] {loss, all.size() == 1 ? ceTotal : ceTotal.div(all.size()), count};
    }

    /** Teacher entropy per masked position (so the reported loss is CE + α·KL, not CE + α·cross-entropy). */
    private static double teacherEntropy(TrainingData.Batch b) {
        if (b.teacherProbs() == null) {
            return 0;
        }
        double h = 0;
        for (float p : b.teacherProbs()) {
            if (p > 0) {
                h -= p * Math.log(p);
            }
        }
        double n = 0;
        for (float x : b.mask()) {
            n += x;
        }
        return h / Math.max(1, n);
    }

    private static final class Run {
        final Objective model;
        final TrainingData train;
        final TrainingData val;
        final Config cfg;
        final Path dir;
        final Listener listener;
        final AdamW opt;
        final Tracker schedule;

        Run(Objective model, TrainingData train, TrainingData val, Config cfg, Path dir, Listener listener,
                AdamW opt) {
            this.model = model;
            this.train = train;
            this.val = val;
            this.cfg = cfg;
            this.dir = dir;
            this.listener = listener;
            this.opt = opt;
            Tracker cosine = Tracker.cosine().setBaseValue(cfg.lr()).optFinalValue(cfg.minLr())
                    .setMaxUpdates(Math.max(1, cfg.steps() - cfg.warmupSteps())).build();
            this.schedule = cfg.warmupSteps() == 0 ? cosine : Tracker.warmUp().setMainTracker(cosine)
                    .optWarmUpSteps(cfg.warmupSteps()).optWarmUpBeginValue(0f).build();
        }

        /** Learning rate of step {@code s} (1-based). */
        float lr(int s) {
            return schedule.getNewValue(s - 1);
        }

        Result loop(int done, float best, int bestStep, int bad, List<Float> losses, List<float[]> evals)
                throws IOException {
            long t0 = System.nanoTime();
            long tokens = 0;
            boolean early = false;
            if (dir != null) {
                Files.createDirectories(dir);
            }
            int step = done;
            int skipped = 0;
            while (step < cfg.steps()) {
                step++;
                TrainingData.Batch b = train.batch(cfg.seed(), step, cfg.batchSize(), cfg.seqLen());
                float lossValue;
                try (NDManager m = SpecdecEngine.newManager()) {
                    try (GradientCollector gc = SpecdecEngine.engine().newGradientCollector()) {
                        NDArray[] l = model.losses(m, b, true);
                        gc.backward(l[0]);
                        lossValue = l[0].getFloat();
                        tokens += (long) l[2].getFloat();
                    }
                    float lr = lr(step);
                    float norm = Float.NaN;
                    if (Float.isFinite(lossValue)) {
                        norm = opt.update(model.parameters(), lr, cfg.clipNorm(), model.manager());
                    } else {
                        opt.discard(model.parameters());
                    }
                    if (!Float.isFinite(lossValue) || !Float.isFinite(norm)) {
                        // skip the batch (no update) rather than poison the weights; give up when it persists
                        skipped++;
                        LOG.warn("step {}: non-finite loss {} or gradient norm {}; update skipped ({} in a row)",
                                step, lossValue, norm, skipped);
                        if (skipped >= MAX_SKIPS) {
                            throw new IllegalStateException("training diverged at step " + step + ": loss "
                                    + lossValue + ", gradient norm " + norm + " for " + skipped
                                    + " steps in a row (lower the learning rate, now " + lr + ")");
                        }
                    } else {
                        skipped = 0;
                    }
                    lossValue -= (float) model.lossOffset(b);
                    losses.add(lossValue);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    listener.onStep(step, cfg.steps(), lossValue, lr, secs > 0 ? tokens / secs : 0);
                }
                boolean stop = listener.stopRequested(step);
                if (step % cfg.evalEvery() == 0 || step == cfg.steps()) {
                    float v = evaluate(model, val, cfg.evalBatches(), cfg.batchSize(), cfg.seqLen(), cfg.seed());
                    evals.add(new float[] {step, v});
                    if (v < best - 1e-4f) {
                        best = v;
                        bestStep = step;
                        bad = 0;
                        if (dir != null) {
                            model.write(dir.resolve("best.gguf"));
                        }
                    } else {
                        bad++;
                    }
                    listener.onEval(step, v, best);
                    if (cfg.patience() > 0 && bad >= cfg.patience()) {
                        early = true;
                    }
                    if (dir != null) {
                        checkpoint(step, best, bestStep, bad, losses, evals);
                    }
                } else if (stop && dir != null) {
                    checkpoint(step, best, bestStep, bad, losses, evals);
                }
                if (early || stop) {
                    break;
                }
            }
            float[] log = new float[losses.size()];
            for (int i = 0; i < log.length; i++) {
                log[i] = losses.get(i);
            }
            return new Result(step, best, bestStep, early, log, evals, (System.nanoTime() - t0) / 1e9, tokens);
        }

        void checkpoint(int step, float best, int bestStep, int bad, List<Float> losses, List<float[]> evals)
                throws IOException {
            model.write(dir.resolve("last.gguf"));
            GgufWriter g = new GgufWriter();
            g.putMetadata("general.architecture", "specdec-trainer");
            g.putMetadata("specdec.trainer.config", GSON.toJson(cfg));
            model.describe(g);
            g.putMetadata("specdec.trainer.step", step);
            g.putMetadata("specdec.trainer.best_val", best);
            g.putMetadata("specdec.trainer.best_step", bestStep);
            g.putMetadata("specdec.trainer.bad_evals", bad);
            List<String> trainable = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (e.getValue().hasGradient()) {
                    trainable.add(e.getKey());
                }
            }
            g.putMetadata("specdec.trainer.trainable", trainable.toArray(new String[0]));
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                float[] data = e.getValue().toFloatArray();
                g.putTensor("model." + e.getKey(), new long[] {data.length}, data);
            }
            for (Map.Entry<String, NDArray[]> e : opt.moments().entrySet()) {
                float[] mm = e.getValue()[0].toFloatArray();
                g.putTensor("adam.m." + e.getKey(), new long[] {mm.length}, mm);
                float[] vv = e.getValue()[1].toFloatArray();
                g.putTensor("adam.v." + e.getKey(), new long[] {vv.length}, vv);
            }
            float[] log = new float[losses.size()]; // a checkpoint follows at least one step
            for (int i = 0; i < log.length; i++) {
                log[i] = losses.get(i);
            }
            g.putTensor("log.train_loss", new long[] {log.length}, log);
            if (!evals.isEmpty()) {
                float[] ev = new float[evals.size() * 2];
                for (int i = 0; i < evals.size(); i++) {
                    ev[2 * i] = evals.get(i)[0];
                    ev[2 * i + 1] = evals.get(i)[1];
                }
                g.putTensor("log.evals", new long[] {ev.length}, ev);
            }
            g.write(dir.resolve(STATE));
        }
    }
}
