package io.specdec.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Linear;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder whose weights are DJL parameters with gradients: the training forward of the library.
 * It computes the same function as the inference runtime ({@code io.specdec.model.LlamaModel}, both kernels) on
 * the raw weights, batched and without a cache: RMSNorm, q/k/v projections (with bias when the config says so),
 * half-split RoPE, causal grouped-query attention, SwiGLU, final norm, LM head. The inference runtime folds norms
 * and scales into its matrices for speed; {@code TrainableLlamaTest} proves the two agree to 1e-5 (relative) on
 * logits and final hidden states for random weights.
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
    private final NDArray cos; // [context, headDim/2]
    private final NDArray sin; // [context, headDim/2]

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
        int half = c.headDim() / 2;
        float[] cs = new float[c.contextLength() * half];
        float[] sn = new float[cs.length];
        for (int i = 0; i < half; i++) {
            // the runtime's float math (llama2.c run.c): 1 / theta^(2i / headDim), angle = pos * inv
            float inv = (float) (1.0 / Math.pow(c.ropeTheta(), (2 * i) / (double) c.headDim()));
            for (int p = 0; p < c.contextLength(); p++) {
                float a = p * inv;
                cs[p * half + i] = (float) Math.cos(a);
                sn[p * half + i] = (float) Math.sin(a);
            }
        }
        cos = manager.create(cs, new Shape(c.contextLength(), half));
        sin = manager.create(sn, new Shape(c.contextLength(), half));
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
        NDArray emb = params.get("embedding");
        NDArray idx = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        NDArray x = emb.getNDArrayInternal().embedding(idx, emb, SparseFormat.DENSE).singletonOrThrow();
        x.attach(m);
        return x;
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

    private Output decode(NDManager m, NDArray x) {
        long b = x.getShape().get(0);
        int t = (int) x.getShape().get(1);
        NDArray emb = params.get("embedding");
        int h = c.heads();
        int kvh = c.kvHeads();
        int hd = c.headDim();
        int g = h / kvh;
        NDIndex first = new NDIndex().addSliceDim(0, t);
        NDArray cs = cos.get(m, first).reshape(1, t, 1, hd / 2);
        NDArray sn = sin.get(m, first).reshape(1, t, 1, hd / 2);
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        NDArray causal = m.create(mask, new Shape(1, 1, t, t));
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int l = 0; l < c.layers(); l++) {
            String p = "layers." + l + ".";
            NDArray hn = rmsNorm(x, params.get(p + "attn_norm"));
            NDArray q = linear(hn, p + "wq", p + "bq").reshape(b, t, h, hd);
            NDArray k = linear(hn, p + "wk", p + "bk").reshape(b, t, kvh, hd);
            NDArray v = linear(hn, p + "wv", p + "bv").reshape(b, t, kvh, hd);
            q = rope(q, cs, sn, hd).transpose(0, 2, 1, 3);                                    // [B,H,T,hd]
            k = rope(k, cs, sn, hd);
            if (g > 1) {
                k = k.expandDims(3).repeat(3, g).reshape(b, t, h, hd);
                v = v.expandDims(3).repeat(3, g).reshape(b, t, h, hd);
            }
            NDArray scores = q.matMul(k.transpose(0, 2, 3, 1)).mul(scale).add(causal);      // [B,H,T,T]
            NDArray att = scores.softmax(-1).matMul(v.transpose(0, 2, 1, 3));                // [B,H,T,hd]
            att = att.transpose(0, 2, 1, 3).reshape(b, t, (long) h * hd);
            x = x.add(Linear.linear(att, params.get(p + "wo")).singletonOrThrow());
            NDArray fn = rmsNorm(x, params.get(p + "ffn_norm"));
            NDArray gate = Linear.linear(fn, params.get(p + "w_gate")).singletonOrThrow();
            NDArray up = Linear.linear(fn, params.get(p + "w_up")).singletonOrThrow();
            NDArray act = gate.getNDArrayInternal().sigmoid().mul(gate).mul(up);
            x = x.add(Linear.linear(act, params.get(p + "w_down")).singletonOrThrow());
        }
        NDArray hidden = rmsNorm(x, params.get("final_norm"));
        NDArray head = params.containsKey("output") ? params.get("output") : emb;
        NDArray logits = Linear.linear(hidden, head).singletonOrThrow();
        return new Output(logits, hidden);
    }

    private NDArray linear(NDArray x, String w, String bias) {
        NDArray bArr = c.qkvBias() ? params.get(bias) : null;
        return bArr == null ? Linear.linear(x, params.get(w)).singletonOrThrow()
                : Linear.linear(x, params.get(w), bArr).singletonOrThrow();
    }

    /** RMSNorm over the last axis: {@code x / sqrt(mean(x^2) + eps) * w}. */
    private NDArray rmsNorm(NDArray x, NDArray w) {
        return x.mul(x.square().mean(new int[] {-1}, true).add(c.rmsEps()).pow(-0.5f)).mul(w);
    }

    /** Half-split RoPE on {@code [B, T, heads, hd]}: pairs (i, i + hd/2) rotated by the position's angle. */
    private static NDArray rope(NDArray x, NDArray cos, NDArray sin, int hd) {
        int half = hd / 2;
        NDArray a = x.get(new NDIndex("..., :" + half));
        NDArray b = x.get(new NDIndex("..., " + half + ":"));
        return NDArrays.concat(new NDList(a.mul(cos).sub(b.mul(sin)), b.mul(cos).add(a.mul(sin))), -1);
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
