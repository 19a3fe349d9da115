package io.specdec.model;

import ai.djl.ndarray.NDManager;
import io.specdec.tensor.HostKernels;
import io.specdec.tensor.HostThreads;
import io.specdec.tensor.WeightTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The host backend of {@link LlamaModel} (the {@code vector} kernel, see {@link Kernels}): {@link LlamaOps} on Java
 * arrays for the one forward of {@link LlamaForward}, over weights kept in their storage format ({@link LlamaTensors}:
 * F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K, memory mapped), with the residual stream, the KV cache and attention in Java
 * arrays. The q/k/v projections run as one parallel job, as do gate/up; RoPE runs in the file's pairing (interleaved
 * or half-split: q and k are paired alike, so attention scores do not depend on it); attention over the cache with
 * tree masks is one job over heads. A forward makes no native call.
 *
 * <p>Parallelism: every projection is split by output rows across {@link HostThreads} (chunks taken dynamically),
 * attention by heads; the weight is read once per call whatever the number of rows T ({@link HostKernels#matmul}).
 * Numerics: each output element is computed in a fixed order whatever T and the thread count, so a row's result does
 * not depend on the batch it is computed in. Agrees with the torch backend to float rounding (tested to 1e-4).
 *
 * <p>Memory: the weights are not copied (views of the mapping); per forward, activations of {@code T × max(dim,
 * hidden)} floats. Thread safety: immutable; forwards on different caches may run concurrently.
 */
final class HostForward {
    private final LlamaConfig c;
    private final LlamaTensors w;
    private final HostThreads pool;
    private final boolean interleaved;
    private final float[] cos;      // [context, half]
    private final float[] sin;      // [context, half]
    private final Plan[] qkv;
    private final Plan[] wo;
    private final Plan[] gateUp;
    private final Plan[] down;
    private final Plan head;
    private final ThreadLocal<float[]> scores = ThreadLocal.withInitial(() -> new float[0]);

    HostForward(LlamaTensors tensors, HostThreads pool) {
        this.c = tensors.config();
        this.w = tensors;
        this.pool = pool;
        this.interleaved = tensors.layout() == RopeLayout.INTERLEAVED;
        float[][] tables = LlamaForward.ropeTables(c);
        cos = tables[0];
        sin = tables[1];
        int nl = c.layers();
        qkv = new Plan[nl];
        wo = new Plan[nl];
        gateUp = new Plan[nl];
        down = new Plan[nl];
        for (int i = 0; i < nl; i++) {
            LlamaTensors.Layer l = tensors.layers().get(i);
            qkv[i] = new Plan(pool.threads(), l.wq(), l.wk(), l.wv());
            wo[i] = new Plan(pool.threads(), l.wo());
            gateUp[i] = new Plan(pool.threads(), l.wGate(), l.wUp());
            down[i] = new Plan(pool.threads(), l.wDown());
        }
        head = new Plan(pool.threads(), tensors.lmHead());
    }

    LlamaTensors tensors() {
        return w;
    }

    int threads() {
        return pool.threads();
    }

    /**
     * Chunks of one parallel projection job over one or more matrices that share the input: chunk i covers rows
     * {@code [start[i], end[i])} of matrix {@code matrix[i]}; about eight chunks per thread.
     */
    private static final class Plan {
        final WeightTensor[] ws;
        final int[] matrix;
        final int[] start;
        final int[] end;

        Plan(int threads, WeightTensor... ws) {
            this.ws = ws;
            long total = 0;
            for (WeightTensor t : ws) {
                total += t.rows();
            }
            int grain = (int) Math.max(4, (total + 8L * threads - 1) / (8L * threads));
            List<int[]> cs = new ArrayList<>();
            for (int m = 0; m < ws.length; m++) {
                for (int r = 0; r < ws[m].rows(); r += grain) {
                    cs.add(new int[] {m, r, Math.min(ws[m].rows(), r + grain)});
                }
            }
            matrix = new int[cs.size()];
            start = new int[cs.size()];
            end = new int[cs.size()];
            for (int i = 0; i < cs.size(); i++) {
                matrix[i] = cs.get(i)[0];
                start[i] = cs.get(i)[1];
                end[i] = cs.get(i)[2];
            }
        }
    }

    /** Runs a plan: {@code outs[m]} is {@code [t, rows of matrix m]} row-major. */
    private void project(Plan p, float[] x, int t, float[]... outs) {
        pool.run(p.matrix.length, (i, s) -> {
            int m = p.matrix[i];
            WeightTensor wt = p.ws[m];
            HostKernels.matmul(wt, x, t, outs[m], wt.rows(), p.start[i], p.start[i], p.end[i], s);
        });
    }

    /**
     * One forward; the caller ({@link LlamaModel}) has validated tokens, positions, mask, exit and hidden layers and
     * holds the cache. {@code inputs} ({@code [T, D]}), when not null, replaces the token embeddings.
     */
    ForwardResult forward(NDManager manager, KvCache cache, int[] tokens, float[] inputs, int[] positions,
            AttentionMask mask, ForwardOptions options, int exit) {
        return forwardBatch(manager, List.of(new LlamaModel.BatchItem(cache, tokens, inputs, positions, mask,
                options)), exit).get(0);
    }

    /**
     * One forward over the rows of several sequences, each with its own cache, positions and mask: the rows are
     * stacked ({@code [ΣT, D]}), every projection reads each weight once for all of them, and attention runs per
     * sequence over its own cache (one parallel job over sequences × heads). Every row's result is bitwise what a
     * forward of its sequence alone gives (fixed-order kernels, see the class comment). The caller
     * ({@link LlamaModel}) has validated each item, checked the caches are distinct, holds them, and gives all
     * items the same exit and hidden layers.
     */
    List<ForwardResult> forwardBatch(NDManager manager, List<LlamaModel.BatchItem> items, int exit) {
        int n = items.size();
        int d = c.dim();
        KvCache[] caches = new KvCache[n];
        int[][] positions = new int[n][];
        AttentionMask[] masks = new AttentionMask[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            LlamaModel.BatchItem it = items.get(i);
            if (!it.cache().isHost()) {
                throw new IllegalArgumentException("the vector kernel needs a host cache (the model's newCache)");
            }
            caches[i] = it.cache();
            positions[i] = it.positions();
            masks[i] = it.mask();
            total += it.positions().length;
        }
        int[] hiddenLayers = items.get(0).options().hiddenLayers();
        List<float[]> kept = new ArrayList<>(java.util.Collections.nCopies(hiddenLayers.length, (float[]) null));
        Step ops = new Step(caches, positions, masks);
        float[] x = new float[total * d];
        for (int i = 0; i < n; i++) {
            LlamaModel.BatchItem it = items.get(i);
            int off = ops.offset[i] * d;
            if (it.inputs() != null) {
                System.arraycopy(it.inputs(), 0, x, off, it.inputs().length);
            } else {
                for (int r = 0; r < it.tokens().length; r++) {
                    w.embedding().dequantizeRow(it.tokens()[r], x, off + r * d);
                }
            }
        }
        x = LlamaForward.layers(ops, x, exit, hiddenLayers, kept);
        for (int i = 0; i < n; i++) {
            caches[i].advance(positions[i].length);
        }
        float[] hf = LlamaForward.finalNorm(ops, x);
        // the LM head once over every sequence's logit rows (its last row only, or all of them)
        int[] headFrom = new int[n + 1];
        for (int i = 0; i < n; i++) {
            int t = positions[i].length;
            headFrom[i + 1] = headFrom[i] + (items.get(i).options().logitRows() == 1 ? 1 : t);
        }
        float[] headIn = new float[headFrom[n] * d];
        for (int i = 0; i < n; i++) {
            int t = positions[i].length;
            int rows = headFrom[i + 1] - headFrom[i];
            System.arraycopy(hf, (ops.offset[i] + t - rows) * d, headIn, headFrom[i] * d, rows * d);
        }
        float[] logits = LlamaForward.lmHead(ops, headIn);
        int v = c.vocabSize();
        List<ForwardResult> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            LlamaModel.BatchItem it = items.get(i);
            int t = positions[i].length;
            int rows = headFrom[i + 1] - headFrom[i];
            int o = ops.offset[i];
            float[][] layers = new float[kept.size()][];
            for (int k = 0; k < layers.length; k++) {
                layers[k] = n == 1 ? kept.get(k) : Arrays.copyOfRange(kept.get(k), o * d, (o + t) * d);
            }
            float[] lastHidden = !it.options().lastHidden() ? null : n == 1 ? hf
                    : Arrays.copyOfRange(hf, o * d, (o + t) * d);
            float[] lg = n == 1 ? logits : Arrays.copyOfRange(logits, headFrom[i] * v, headFrom[i + 1] * v);
            out.add(ForwardResult.ofHost(rows, t, v, d, lg, lastHidden, layers,
                    it.options().deviceOutputs() ? manager.newSubManager() : null));
        }
        return out;
    }

    /**
     * The ops of one host forward ({@link LlamaOps} on {@code float[]} row blocks) over the stacked rows of one or
     * more sequences: sequence i owns rows {@code [offset[i], offset[i+1])}, its cache, positions and the visibility
     * of its cache slots to each of its rows, all fixed at construction; without a cache (no sequences) only the
     * norms and projections may run.
     */
    private final class Step implements LlamaOps<float[]> {
        private final KvCache[] caches;
        private final int[] positions;   // [ΣT], stacked
        private final int[] offset;      // [n + 1]
        private final int[] prefix;      // [n]: cached slots before this forward
        private final boolean[][] visible; // per sequence [T, S]: which cache slots row r sees

        Step(KvCache[] caches, int[][] positions, AttentionMask[] masks) {
            int n = caches.length;
            this.caches = caches;
            this.offset = new int[n + 1];
            for (int i = 0; i < n; i++) {
                offset[i + 1] = offset[i] + positions[i].length;
            }
            this.positions = new int[offset[n]];
            this.prefix = new int[n];
            this.visible = new boolean[n][];
            for (int i = 0; i < n; i++) {
                System.arraycopy(positions[i], 0, this.positions, offset[i], positions[i].length);
                int t = positions[i].length;
                AttentionMask mask = masks[i];
                prefix[i] = caches[i].length();
                int s = prefix[i] + t;
                boolean[] vis = new boolean[t * s];
                int from = prefix[i] - (mask == null ? 0 : mask.history()); // first slot the mask decides
                for (int r = 0; r < t; r++) {
                    for (int j = 0; j < s; j++) {
                        int nj = j - from;
                        vis[r * s + j] = nj < 0 || (mask == null ? j - prefix[i] <= r : mask.visibleKey(r, nj));
                    }
                }
                visible[i] = vis;
            }
        }

        @Override
        public float[] rmsNorm(float[] x, int layer, Weight norm) {
            float[] wt = switch (norm) {
                case ATTN_NORM -> w.layers().get(layer).attnNorm();
                case FFN_NORM -> w.layers().get(layer).ffnNorm();
                case FINAL_NORM -> w.finalNorm();
                default -> throw new IllegalArgumentException(norm + " is not a norm weight");
            };
            float[] out = new float[x.length];
            HostForward.this.rmsNorm(x, x.length / c.dim(), wt, out);
            return out;
        }

        @Override
        public List<float[]> project(float[] x, int layer, Weight... ws) {
            Plan p = plan(layer, ws);
            int t = x.length / p.ws[0].cols();
            float[][] outs = new float[p.ws.length][];
            for (int m = 0; m < outs.length; m++) {
                outs[m] = new float[t * p.ws[m].rows()];
            }
            HostForward.this.project(p, x, t, outs);
            if (ws[0] == Weight.WQ && layer >= 0 && w.layers().get(layer).bq() != null) {
                LlamaTensors.Layer lw = w.layers().get(layer);
                addBias(outs[0], t, lw.bq());
                addBias(outs[1], t, lw.bk());
                addBias(outs[2], t, lw.bv());
            }
            return Arrays.asList(outs);
        }

        /** RoPE in place; q also takes {@code 1/sqrt(headDim)}, which this backend's attention then leaves out. */
        @Override
        public List<float[]> rope(float[] q, float[] k) {
            int t = positions.length;
            HostForward.this.rope(q, t, c.heads(), positions, (float) (1.0 / Math.sqrt(c.headDim())));
            HostForward.this.rope(k, t, c.kvHeads(), positions, 1f);
            return List.of(q, k);
        }

        @Override
        public float[] attention(int layer, float[] q, float[] k, float[] v) {
            int kd = c.kvDim();
            int n = caches.length;
            for (int i = 0; i < n; i++) {
                int t = offset[i + 1] - offset[i];
                System.arraycopy(k, offset[i] * kd, caches[i].hostKeys(layer), prefix[i] * kd, t * kd);
                System.arraycopy(v, offset[i] * kd, caches[i].hostValues(layer), prefix[i] * kd, t * kd);
            }
            float[] out = new float[positions.length * c.qDim()];
            int heads = c.heads();
            pool.run(n * heads, (job, scratch) -> {
                int i = job / heads;
                int t = offset[i + 1] - offset[i];
                attendHead(q, offset[i], caches[i].hostKeys(layer), caches[i].hostValues(layer), t, prefix[i] + t,
                        visible[i], out, job % heads, scratch);
            });
            return out;
        }

        @Override
        public float[] swiglu(float[] gate, float[] up) {
            HostKernels.swiglu(gate, up, gate, gate.length);
            return gate;
        }

        @Override
        public float[] residual(float[] x, float[] delta) {
            add(x, delta);
            return x;
        }

        @Override
        public float[] keep(float[] x) {
            return x.clone();
        }
    }

    /** The projection job of the weights named: q/k/v and gate/up run as one job each. */
    private Plan plan(int layer, LlamaOps.Weight... ws) {
        LlamaOps.Weight first = ws[0];
        Plan p = switch (first) {
            case WQ -> qkv[layer];
            case WO -> wo[layer];
            case GATE -> gateUp[layer];
            case DOWN -> down[layer];
            case OUTPUT -> head;
            default -> null;
        };
        if (p == null || p.ws.length != ws.length) {
            throw new IllegalArgumentException("no host projection job for " + Arrays.toString(ws));
        }
        return p;
    }

    /** Embedding rows of {@code tokens} (validated), {@code [T, dim]}. */
    float[] embedRows(int[] tokens) {
        int d = c.dim();
        float[] x = new float[tokens.length * d];
        for (int i = 0; i < tokens.length; i++) {
            w.embedding().dequantizeRow(tokens[i], x, i * d);
        }
        return x;
    }

    /** The final RMSNorm with its weight over {@code [t, dim]}. */
    float[] finalNorm(float[] x, int t) {
        return LlamaForward.finalNorm(new Step(new KvCache[0], new int[0][], new AttentionMask[0]), x);
    }

    /** The LM head over {@code [rows, dim]} normed rows: {@code [rows, vocab]}. */
    float[] lmHead(float[] normed, int rows) {
        return LlamaForward.lmHead(new Step(new KvCache[0], new int[0][], new AttentionMask[0]), normed);
    }

    /**
     * Grouped-query attention of one head for the T new rows of one sequence, stacked from row {@code row0} of
     * {@code q} and {@code out}, over its cache slots {@code [0, s)}: {@code visible[r·s + j]} says which slots row r
     * sees. Scores are {@code q·k} (q carries {@code 1/sqrt(hd)}), softmax over the visible slots, then the weighted
     * sum of values into {@code out} ({@code [rows, H·hd]}, zero-initialised by the caller).
     */
    private void attendHead(float[] q, int row0, float[] kc, float[] vc, int t, int s, boolean[] visible,
            float[] out, int head, HostKernels.Scratch scratch) {
        int hd = c.headDim();
        int kd = c.kvDim();
        int qd = c.qDim();
        int g = c.heads() / c.kvHeads();
        float[] sc = scores.get();
        if (sc.length < s) {
            sc = new float[s];
            scores.set(sc);
        }
        int ko = (head / g) * hd;
        for (int r = 0; r < t; r++) {
            int vis = r * s;
            int qo = (row0 + r) * qd + head * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                if (!visible[vis + j]) {
                    continue;
                }
                float dot = HostKernels.dot(q, qo, kc, j * kd + ko, hd, scratch);
                sc[j] = dot;
                max = Math.max(max, dot);
            }
            float sum = 0f;
            for (int j = 0; j < s; j++) {
                float p = visible[vis + j] ? (float) Math.exp(sc[j] - max) : 0f;
                sc[j] = p;
                sum += p;
            }
            float inv = 1f / sum;
            for (int j = 0; j < s; j++) {
                float p = sc[j] * inv;
                if (p != 0f) {
                    HostKernels.axpy(p, vc, j * kd + ko, out, qo, hd);
                }
            }
        }
    }

    /** {@code out = x / sqrt(mean(x²) + eps) · weight} per row. */
    private void rmsNorm(float[] x, int t, float[] weight, float[] out) {
        int d = c.dim();
        for (int r = 0; r < t; r++) {
            int o = r * d;
            float ss = 0f;
            for (int j = 0; j < d; j++) {
                ss += x[o + j] * x[o + j];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / d + c.rmsEps()));
            for (int j = 0; j < d; j++) {
                out[o + j] = x[o + j] * inv * weight[j];
            }
        }
    }

    /**
     * RoPE in place on {@code [T, heads, hd]} rows, then a scale: pairs {@code (2i, 2i+1)} when the file's layout is
     * interleaved, {@code (i, i + hd/2)} when half-split; pair i turns by {@code position · theta^(-2i/hd)}.
     */
    private void rope(float[] a, int t, int heads, int[] positions, float scale) {
        int hd = c.headDim();
        int half = hd / 2;
        for (int r = 0; r < t; r++) {
            int po = positions[r] * half;
            for (int h = 0; h < heads; h++) {
                int base = (r * heads + h) * hd;
                for (int j = 0; j < half; j++) {
                    int i0 = interleaved ? base + 2 * j : base + j;
                    int i1 = interleaved ? i0 + 1 : i0 + half;
                    float x0 = a[i0];
                    float x1 = a[i1];
                    float cs = cos[po + j];
                    float sn = sin[po + j];
                    a[i0] = (x0 * cs - x1 * sn) * scale;
                    a[i1] = (x1 * cs + x0 * sn) * scale;
                }
            }
        }
    }

    private static void addBias(float[] y, int t, float[] b) {
        int n = b.length;
        for (int r = 0; r < t; r++) {
            for (int j = 0; j < n; j++) {
                y[r * n + j] += b[j];
            }
        }
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
