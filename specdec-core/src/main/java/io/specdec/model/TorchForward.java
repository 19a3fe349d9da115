package io.specdec.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Linear;
import io.specdec.tensor.WeightTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The DJL/PyTorch backend: {@link LlamaOps} on NDArrays for the one forward of {@link LlamaForward}. It serves the
 * {@code torch} kernel of {@link LlamaModel} (the GPU path; on a CPU only when asked for) over a {@link KvCache}, and
 * the training forward of {@code TrainableLlama} (a batch {@code [B, T, dim]} at positions {@code 0..T-1}, causal,
 * no cache, differentiable under a {@code GradientCollector}).
 *
 * <p>Weights are NDArrays found by name: {@code embedding}, {@code output} (absent when tied), {@code final_norm},
 * {@code layers.<i>.<attn_norm|wq|wk|wv|wo|ffn_norm|w_gate|w_up|w_down|bq|bk|bv>} ({@code [out, in]}); an inference
 * upload ({@link #upload}) fuses each layer's q/k/v into {@code layers.<i>.wqkv} (+ {@code bqkv}) and gate/up into
 * {@code layers.<i>.wgu}, so a layer makes three matmuls' worth of native calls fewer. Matrices are uploaded one tensor
 * at a time from their storage format ({@link WeightTensor}), never as a float32 copy of the whole model on the heap:
 * as float16 on a GPU (quantized blocks become F16 on the device; activations stay float32 and are cast around each
 * matmul), as float32 on a CPU, where PyTorch's F16 matmul is slow ({@value #DTYPE_PROPERTY} overrides: {@code f16},
 * {@code f32}). Norm weights stay float32. RoPE runs in the weights' own pairing ({@link RopeLayout}).
 *
 * <p>Native memory: uploaded weights live in the manager given to {@link #upload}; a forward's intermediates live in
 * the manager its ops were made with. Thread safety: the weights are read-only; one ops instance serves one forward.
 */
public final class TorchForward {
    /** System property choosing the device dtype of uploaded matrices: {@code auto} (default), {@code f16}, {@code f32}. */
    public static final String DTYPE_PROPERTY = "specdec.torch.dtype";
    private static final int[] LAST_AXIS = {-1};

    private final LlamaConfig c;
    private final RopeLayout layout;
    private final Function<String, NDArray> params;
    private final NDArray cos; // [context, headDim/2]
    private final NDArray sin; // [context, headDim/2]
    private long bytes;

    /**
     * A backend on named parameters (read through {@code params} at every op, so replaced parameters are seen).
     *
     * @param tables manager that owns the RoPE tables built here
     */
    public TorchForward(LlamaConfig config, RopeLayout layout, Function<String, NDArray> params, NDManager tables) {
        this.c = config;
        this.layout = layout;
        this.params = params;
        int half = c.headDim() / 2;
        float[][] t = LlamaForward.ropeTables(c);
        float[] cs = t[0];
        float[] sn = t[1];
        cos = tables.create(cs, new Shape(c.contextLength(), half));
        sin = tables.create(sn, new Shape(c.contextLength(), half));
    }

    /**
     * Uploads {@code t} into {@code into} (fused q/k/v and gate/up, see the class comment) and returns the backend on
     * it. Each matrix is dequantized in row chunks of at most 4 M values, so the heap holds no whole-model copy.
     */
    public static TorchForward upload(LlamaTensors t, NDManager into) {
        LlamaConfig c = t.config();
        DataType dt = matrixType(into);
        Map<String, NDArray> p = new HashMap<>();
        p.put("embedding", matrix(into, t.embedding(), dt));
        if (t.output() != null) {
            p.put("output", matrix(into, t.output(), dt));
        }
        p.put("final_norm", into.create(t.finalNorm()));
        for (int i = 0; i < c.layers(); i++) {
            LlamaTensors.Layer l = t.layers().get(i);
            String n = "layers." + i + ".";
            p.put(n + "attn_norm", into.create(l.attnNorm()));
            p.put(n + "ffn_norm", into.create(l.ffnNorm()));
            p.put(n + "wqkv", fused(matrix(into, l.wq(), dt), matrix(into, l.wk(), dt), matrix(into, l.wv(), dt)));
            if (c.qkvBias()) {
                p.put(n + "bqkv", into.create(concat(l.bq(), l.bk(), l.bv())));
            }
            p.put(n + "wo", matrix(into, l.wo(), dt));
            p.put(n + "wgu", fused(matrix(into, l.wGate(), dt), matrix(into, l.wUp(), dt)));
            p.put(n + "w_down", matrix(into, l.wDown(), dt));
        }
        TorchForward f = new TorchForward(c, t.layout(), p::get, into);
        for (NDArray a : p.values()) {
            f.bytes += a.size() * a.getDataType().getNumOfBytes();
        }
        return f;
    }

    /** Bytes of the weights {@link #upload} put on the device (0 for a training backend on borrowed parameters). */
    public long bytes() {
        return bytes;
    }

    /** The dtype uploaded matrices take on {@code m}'s device (see the class comment). */
    static DataType matrixType(NDManager m) {
        String v = System.getProperty(DTYPE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "f16" -> DataType.FLOAT16;
            case "f32" -> DataType.FLOAT32;
            case "auto" -> "cpu".equals(m.getDevice().getDeviceType()) ? DataType.FLOAT32 : DataType.FLOAT16;
            default -> throw new IllegalArgumentException(DTYPE_PROPERTY + " must be auto, f16 or f32, found '" + v
                    + "'");
        };
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] a : parts) {
            n += a.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    private static NDArray fused(NDArray... parts) {
        NDArray f = NDArrays.concat(new NDList(parts), 0);
        for (NDArray a : parts) {
            a.close();
        }
        return f;
    }

    /** One matrix on the device in {@code dt}, dequantized in chunks of rows. */
    private static NDArray matrix(NDManager m, WeightTensor w, DataType dt) {
        int rows = w.rows();
        int cols = w.cols();
        int chunk = Math.max(1, Math.min(rows, (4 << 20) / cols));
        NDArray out = m.zeros(new Shape(rows, cols), dt);
        float[] buf = new float[chunk * cols];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            float[] b = n == chunk ? buf : new float[n * cols];
            for (int r = 0; r < n; r++) {
                w.dequantizeRow(r0 + r, b, r * cols);
            }
            try (NDManager s = m.newSubManager()) {
                NDArray part = s.create(b, new Shape(n, cols));
                out.set(new NDIndex().addSliceDim(r0, r0 + n), dt == DataType.FLOAT32 ? part : part.toType(dt, false));
            }
        }
        return out;
    }

    /** The config the shapes follow. */
    public LlamaConfig config() {
        return c;
    }

    /**
     * Ops for one inference forward of {@code positions.length} rows over {@code cache} (null: norms, head and
     * embedding only); intermediates are attached to {@code m}.
     */
    LlamaOps<NDArray> inference(NDManager m, KvCache cache, int[] positions, AttentionMask mask) {
        return new Step(m, cache, positions, mask, 0);
    }

    /** Ops for a training forward on {@code [batch, T, dim]} rows at positions {@code 0..T-1}, causal, no cache. */
    public LlamaOps<NDArray> training(NDManager m, long batch, int t) {
        int[] pos = new int[t];
        Arrays.setAll(pos, i -> i);
        return new Step(m, null, pos, null, batch);
    }

    /** Embedding rows of {@code ids} (int64, any shape): {@code [..., dim]} float32, attached to {@code m}. */
    public NDArray embed(NDManager m, NDArray ids) {
        NDArray emb = params.apply("embedding");
        NDArray x = emb.getNDArrayInternal().embedding(ids, emb, SparseFormat.DENSE).singletonOrThrow();
        if (x.getDataType() != DataType.FLOAT32) {
            x = x.toType(DataType.FLOAT32, false);
        }
        x.attach(m);
        return x;
    }

    private NDArray param(int layer, String name) {
        return params.apply(layer < 0 ? name : "layers." + layer + "." + name);
    }

    /** {@code x · wᵀ (+ b)}, casting float32 rows to the weight's dtype and back. */
    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        if (w.getDataType() == DataType.FLOAT32) {
            return b == null ? Linear.linear(x, w).singletonOrThrow() : Linear.linear(x, w, b).singletonOrThrow();
        }
        NDArray y = Linear.linear(x.toType(w.getDataType(), false), w).singletonOrThrow().toType(DataType.FLOAT32,
                false);
        return b == null ? y : y.add(b);
    }

    /** The ops of one forward; {@code batch} 0 = an inference forward ({@code [T, width]} rows). */
    private final class Step implements LlamaOps<NDArray> {
        private final NDManager m;
        private final KvCache cache;
        private final int t;
        private final long batch;
        private final NDArray cs;   // [T, 1, half] (inference) or [1, T, 1, half]
        private final NDArray sn;
        private final NDArray addMask; // inference: [T, S] additive; training: [1, 1, T, T]; null = none needed
        private final int prefix;

        Step(NDManager m, KvCache cache, int[] positions, AttentionMask mask, long batch) {
            this.m = m;
            this.cache = cache;
            this.t = positions.length;
            this.batch = batch;
            this.prefix = cache == null ? 0 : cache.length();
            int half = c.headDim() / 2;
            if (t == 0) {
                cs = null;
                sn = null;
                addMask = null;
                return;
            }
            NDArray[] rows = table(positions);
            Shape shape = batch > 0 ? new Shape(1, t, 1, half) : new Shape(t, 1, half);
            cs = rows[0].reshape(shape);
            sn = rows[1].reshape(shape);
            if (batch > 0) {
                float[] causal = new float[t * t];
                for (int i = 0; i < t; i++) {
                    for (int j = i + 1; j < t; j++) {
                        causal[i * t + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                addMask = m.create(causal, new Shape(1, 1, t, t));
            } else if (cache != null && (t > 1 || (mask != null && mask.history() > 0))) {
                AttentionMask am = mask == null ? AttentionMask.causal(t) : mask;
                addMask = m.create(am.additive(prefix), new Shape(t, prefix + t));
            } else {
                addMask = null;
            }
        }

        private NDArray[] table(int[] positions) {
            boolean contiguous = true;
            for (int i = 1; i < positions.length; i++) {
                contiguous &= positions[i] == positions[0] + i;
            }
            if (contiguous) {
                NDIndex rows = new NDIndex().addSliceDim(positions[0], positions[0] + t);
                return new NDArray[] {cos.get(m, rows), sin.get(m, rows)};
            }
            long[] pos = new long[t];
            for (int i = 0; i < t; i++) {
                pos[i] = positions[i];
            }
            NDArray idx = m.create(pos);
            return new NDArray[] {cos.getNDArrayInternal().embedding(idx, cos, SparseFormat.DENSE).singletonOrThrow(),
                sin.getNDArrayInternal().embedding(idx, sin, SparseFormat.DENSE).singletonOrThrow()};
        }

        @Override
        public NDArray rmsNorm(NDArray x, int layer, Weight norm) {
            NDArray w = switch (norm) {
                case ATTN_NORM -> param(layer, "attn_norm");
                case FFN_NORM -> param(layer, "ffn_norm");
                case FINAL_NORM -> param(-1, "final_norm");
                default -> throw new IllegalArgumentException(norm + " is not a norm weight");
            };
            return x.mul(x.square().mean(LAST_AXIS, true).add(c.rmsEps()).pow(-0.5f)).mul(w);
        }

        @Override
        public List<NDArray> project(NDArray x, int layer, Weight... ws) {
            if (ws.length == 3 && ws[0] == Weight.WQ && params.apply("layers." + layer + ".wqkv") != null) {
                NDArray y = linear(x, param(layer, "wqkv"), c.qkvBias() ? param(layer, "bqkv") : null);
                return y.split(new long[] {c.qDim(), c.qDim() + c.kvDim()}, y.getShape().dimension() - 1);
            }
            if (ws.length == 2 && ws[0] == Weight.GATE && params.apply("layers." + layer + ".wgu") != null) {
                NDArray y = linear(x, param(layer, "wgu"), null);
                return y.split(2, y.getShape().dimension() - 1);
            }
            List<NDArray> out = new ArrayList<>(ws.length);
            for (Weight w : ws) {
                out.add(switch (w) {
                    case WQ -> linear(x, param(layer, "wq"), c.qkvBias() ? param(layer, "bq") : null);
                    case WK -> linear(x, param(layer, "wk"), c.qkvBias() ? param(layer, "bk") : null);
                    case WV -> linear(x, param(layer, "wv"), c.qkvBias() ? param(layer, "bv") : null);
                    case WO -> linear(x, param(layer, "wo"), null);
                    case GATE -> linear(x, param(layer, "w_gate"), null);
                    case UP -> linear(x, param(layer, "w_up"), null);
                    case DOWN -> linear(x, param(layer, "w_down"), null);
                    case OUTPUT -> {
                        NDArray head = params.apply("output");
                        yield linear(x, head != null ? head : params.apply("embedding"), null);
                    }
                    default -> throw new IllegalArgumentException(w + " is not a matrix");
                });
            }
            return out;
        }

        /** Returns q {@code [.., T, H, hd]} and k {@code [.., T, KV, hd]}, rotated. */
        @Override
        public List<NDArray> rope(NDArray q, NDArray k) {
            return List.of(rotate(heads(q, c.heads())), rotate(heads(k, c.kvHeads())));
        }

        private NDArray heads(NDArray x, int n) {
            return batch > 0 ? x.reshape(batch, t, n, c.headDim()) : x.reshape(t, n, c.headDim());
        }

        private NDArray rotate(NDArray x) {
            int half = c.headDim() / 2;
            if (layout == RopeLayout.HALF_SPLIT) {
                NDArray a = x.get(new NDIndex("..., :" + half));
                NDArray b = x.get(new NDIndex("..., " + half + ":"));
                return NDArrays.concat(new NDList(a.mul(cs).sub(b.mul(sn)), b.mul(cs).add(a.mul(sn))), -1);
            }
            Shape s = x.getShape();
            long[] pairs = Arrays.copyOf(s.getShape(), s.dimension() + 1);
            pairs[s.dimension() - 1] = half;
            pairs[s.dimension()] = 2;
            NDList ab = x.reshape(new Shape(pairs)).split(2, pairs.length - 1);
            NDArray c1 = cs.expandDims(-1);
            NDArray s1 = sn.expandDims(-1);
            NDArray a = ab.get(0);
            NDArray b = ab.get(1);
            return NDArrays.concat(new NDList(a.mul(c1).sub(b.mul(s1)), b.mul(c1).add(a.mul(s1))), -1).reshape(s);
        }

        @Override
        public NDArray attention(int layer, NDArray q, NDArray k, NDArray v) {
            return batch > 0 ? batched(q, k, v) : cached(layer, q, k, v);
        }

        /** Over the cache: {@code [KV, g·T, hd]} batched matmuls, so GQA needs no key/value repetition. */
        private NDArray cached(int layer, NDArray q, NDArray k, NDArray v) {
            int kvh = c.kvHeads();
            int hd = c.headDim();
            int g = c.heads() / kvh;
            int s = prefix + t;
            NDArray kCache = cache.keys(layer);
            NDArray vCache = cache.values(layer);
            NDIndex newSlots = new NDIndex().addSliceDim(prefix, s);
            kCache.set(newSlots, k);
            vCache.set(newSlots, v.reshape(t, kvh, hd));
            NDIndex allSlots = new NDIndex().addSliceDim(0, s);
            NDArray keys = kCache.get(m, allSlots).transpose(1, 2, 0);                               // [KV,hd,S]
            NDArray vals = vCache.get(m, allSlots).transpose(1, 0, 2);                               // [KV,S,hd]
            NDArray qs = q.mul((float) (1.0 / Math.sqrt(hd)));
            qs = t == 1 ? qs.reshape(kvh, g, hd)
                    : qs.reshape(t, kvh, g, hd).transpose(1, 2, 0, 3).reshape(kvh, (long) g * t, hd);
            NDArray scores = qs.matMul(keys);                                                        // [KV,gT,S]
            if (addMask != null) {
                scores = scores.reshape(kvh, g, t, s).add(addMask).reshape(kvh, (long) g * t, s);
            }
            NDArray att = scores.softmax(-1).matMul(vals);                                           // [KV,gT,hd]
            return t == 1 ? att.reshape(1, c.qDim())
                    : att.reshape(kvh, g, t, hd).transpose(2, 0, 1, 3).reshape(t, c.qDim());
        }

        /** Causal self-attention of a training batch, keys/values repeated per group. */
        private NDArray batched(NDArray q, NDArray k, NDArray v) {
            int h = c.heads();
            int hd = c.headDim();
            int g = h / c.kvHeads();
            NDArray vv = v.reshape(batch, t, c.kvHeads(), hd);
            if (g > 1) {
                k = k.expandDims(3).repeat(3, g).reshape(batch, t, h, hd);
                vv = vv.expandDims(3).repeat(3, g).reshape(batch, t, h, hd);
            }
            NDArray scores = q.transpose(0, 2, 1, 3).matMul(k.transpose(0, 2, 3, 1)).mul((float) (1.0 / Math.sqrt(hd)))
                    .add(addMask);                                                                   // [B,H,T,T]
            NDArray att = scores.softmax(-1).matMul(vv.transpose(0, 2, 1, 3));                       // [B,H,T,hd]
            return att.transpose(0, 2, 1, 3).reshape(batch, t, (long) h * hd);
        }

        @Override
        public NDArray swiglu(NDArray gate, NDArray up) {
            return gate.getNDArrayInternal().sigmoid().mul(gate).mul(up);
        }

        @Override
        public NDArray residual(NDArray x, NDArray delta) {
            return x.add(delta);
        }

        @Override
        public NDArray keep(NDArray x) {
            return x;
        }
    }
}
