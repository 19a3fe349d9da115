package io.specdec.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaForward;
import io.specdec.model.LlamaOps;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import io.specdec.model.TorchForward;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder whose weights are DJL parameters with gradients: the training forward of the library.
 * It runs the library's one forward ({@link LlamaForward}) on the torch backend's batched ops
 * ({@link TorchForward#training}: positions {@code 0..T-1}, causal, no cache), so it computes the function the
 * inference runtime computes; {@code TrainableLlamaTest} checks the two agree to 1e-5 (relative) on logits and final
 * hidden states for random weights, on both inference kernels.
 *
 * <p>Parameters are named {@code embedding}, {@code output} (absent when tied), {@code final_norm} and
 * {@code layers.<i>.<attn_norm|wq|wk|wv|wo|ffn_norm|w_gate|w_up|w_down|bq|bk|bv>}, each with the shape of the
 * {@link LlamaWeights} array of that name ({@code [out, in]} row-major). All are F32 on the engine's default device
 * (CPU here, CUDA where DJL finds it). {@link #setTrainable} chooses which receive gradients (all by default).
 *
 * <p>Not thread-safe; one training loop per instance. Owns its NDManager: {@link #close()} frees every parameter.
 */
public final class TrainableLlama implements AutoCloseable {
    private final LlamaConfig c;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final TorchForward forward; // the library's one forward (LlamaForward) on these parameters

    static {
        SpecdecEngine.configure();
    }

    private TrainableLlama(LlamaWeights weights, NDManager manager) {
        LlamaWeights w = weights.toHalfSplit();
        this.c = w.config();
        this.manager = manager;
        long d = c.dim();
        put("embedding", w.embedding(), c.vocabSize(), d);
        if (w.output() != null) {
            put("output", w.output(), c.vocabSize(), d);
        }
        put("final_norm", w.finalNorm(), d);
        for (int i = 0; i < c.layers(); i++) {
            LlamaWeights.Layer l = w.layers().get(i);
            String p = "layers." + i + ".";
            put(p + "attn_norm", l.attnNorm(), d);
            put(p + "wq", l.wq(), c.qDim(), d);
            put(p + "wk", l.wk(), c.kvDim(), d);
            put(p + "wv", l.wv(), c.kvDim(), d);
            put(p + "wo", l.wo(), d, c.qDim());
            put(p + "ffn_norm", l.ffnNorm(), d);
            put(p + "w_gate", l.wGate(), c.hiddenDim(), d);
            put(p + "w_up", l.wUp(), c.hiddenDim(), d);
            put(p + "w_down", l.wDown(), d, c.hiddenDim());
            if (c.qkvBias()) {
                put(p + "bq", l.bq(), c.qDim());
                put(p + "bk", l.bk(), c.kvDim());
                put(p + "bv", l.bv(), c.kvDim());
            }
        }
        this.forward = new TorchForward(c, RopeLayout.HALF_SPLIT, params::get, manager);
        setTrainable(name -> true);
    }

    /** Copies {@code weights} (any RoPE layout) to a new manager on the default device; every parameter trainable. */
    public static TrainableLlama of(LlamaWeights weights) {
        NDManager m = SpecdecEngine.newManager();
        try {
            return new TrainableLlama(weights, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** As {@link #of}, with every parameter frozen (a teacher or a feature source for another trainer). */
    public static TrainableLlama frozen(LlamaWeights weights) {
        TrainableLlama t = of(weights);
        t.setTrainable(name -> false);
        return t;
    }

    private void put(String name, float[] data, long... shape) {
        params.put(name, manager.create(data, new Shape(shape)));
    }

    /** The config the shapes follow. */
    public LlamaConfig config() {
        return c;
    }

    /** Every parameter by name, in a stable order (unmodifiable; the arrays are live). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Marks the parameters {@code trainable} accepts as requiring gradients and the others as frozen. */
    public void setTrainable(java.util.function.Predicate<String> trainable) {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            e.getValue().setRequiresGradient(trainable.test(e.getKey()));
        }
    }

    /** Names of the parameters that currently require gradients. */
    public List<String> trainableNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (e.getValue().hasGradient()) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /**
     * Output of one training forward.
     *
     * @param logits {@code [B, T, vocab]}
     * @param hidden final-norm output (the LM head's input) {@code [B, T, dim]}
     */
    public record Output(NDArray logits, NDArray hidden) {}

    /**
     * Runs the model over {@code ids} {@code [B, T]} (int32 or int64) at positions {@code 0..T-1} with a causal mask.
     * Intermediate arrays are attached to {@code m}; call inside a {@code GradientCollector} to train.
     *
     * @throws IllegalArgumentException when T exceeds the context length or the ids are not 2-D
     */
    public Output forward(NDManager m, NDArray ids) {
        Shape s = ids.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("training forward takes ids of shape [B, T], found " + s);
        }
        int t = (int) s.get(1);
        if (t < 1 || t > c.contextLength()) {
            throw new IllegalArgumentException("sequence length " + t + " outside 1.." + c.contextLength());
        }
        return decode(m, embed(m, ids));
    }

    /** The embedding rows of {@code ids} (any shape, int32 or int64): {@code [..., dim]}, attached to {@code m}. */
    public NDArray embed(NDManager m, NDArray ids) {
        NDArray idx = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        return forward.embed(m, idx);
    }

    /**
     * Runs the decoder layers, final norm and LM head over given input rows {@code x} {@code [B, T, dim]} instead of
     * token embeddings (what a feature drafter trains through); otherwise as {@link #forward}.
     */
    public Output forwardEmbeddings(NDManager m, NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 3 || s.get(2) != c.dim()) {
            throw new IllegalArgumentException("input rows must have shape [B, T, " + c.dim() + "], found " + s);
        }
        if (s.get(1) < 1 || s.get(1) > c.contextLength()) {
            throw new IllegalArgumentException("sequence length " + s.get(1) + " outside 1.." + c.contextLength());
        }
        return decode(m, x);
    }

    /**
     * Logits {@code [B, T, vocab]} after each of {@code exits} layers (1-based, ascending, the last at most the
     * model's layers), each through the shared final norm and LM head — S2D's nested exits; otherwise as
     * {@link #forward}.
     */
    public List<NDArray> forwardExits(NDManager m, NDArray ids, int[] exits) {
        if (exits.length == 0 || exits[exits.length - 1] > c.layers()) {
            throw new IllegalArgumentException("exits " + java.util.Arrays.toString(exits) + " outside 1.."
                    + c.layers());
        }
        NDArray x = embed(m, ids);
        LlamaOps<NDArray> ops = forward.training(m, x.getShape().get(0), (int) x.getShape().get(1));
        int last = exits[exits.length - 1];
        int[] capture = java.util.Arrays.copyOf(exits, exits.length - 1);
        List<NDArray> kept = new java.util.ArrayList<>(java.util.Collections.nCopies(capture.length, (NDArray) null));
        NDArray top = LlamaForward.layers(ops, x, last, capture, kept);
        List<NDArray> out = new java.util.ArrayList<>();
        for (NDArray h : kept) {
            out.add(LlamaForward.lmHead(ops, LlamaForward.finalNorm(ops, h)));
        }
        out.add(LlamaForward.lmHead(ops, LlamaForward.finalNorm(ops, top)));
        return out;
    }

    private Output decode(NDManager m, NDArray x) {
        LlamaOps<NDArray> ops = forward.training(m, x.getShape().get(0), (int) x.getShape().get(1));
        NDArray hidden = LlamaForward.finalNorm(ops, LlamaForward.layers(ops, x, c.layers(), new int[0], List.of()));
        return new Output(LlamaForward.lmHead(ops, hidden), hidden);
    }

    /** Copies the current parameters to host {@link LlamaWeights} (half-split layout). */
    public LlamaWeights toWeights() {
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "layers." + i + ".";
            layers.add(new LlamaWeights.Layer(host(p + "attn_norm"), host(p + "wq"), host(p + "wk"), host(p + "wv"),
                    host(p + "wo"), host(p + "ffn_norm"), host(p + "w_gate"), host(p + "w_up"), host(p + "w_down"),
                    host(p + "bq"), host(p + "bk"), host(p + "bv")));
        }
        return new LlamaWeights(c, RopeLayout.HALF_SPLIT, host("embedding"), layers, host("final_norm"),
                host("output"));
    }

    private float[] host(String name) {
        NDArray a = params.get(name);
        return a == null ? null : a.toFloatArray();
    }

    /** Overwrites parameter {@code name} with {@code data} (same element count), keeping its gradient flag. */
    public void load(String name, float[] data) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter '" + name + "' in this model");
        }
        if (a.size() != data.length) {
            throw new IllegalArgumentException("parameter " + name + " has " + a.size() + " elements, found "
                    + data.length);
        }
        boolean grad = a.hasGradient();
        NDArray fresh = manager.create(data, a.getShape());
        a.close();
        fresh.setRequiresGradient(grad);
        params.put(name, fresh);
    }

    /** The manager that owns the parameters (for optimizer state that lives beside them). */
    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
