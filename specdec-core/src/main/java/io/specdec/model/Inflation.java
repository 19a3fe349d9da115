package io.specdec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Function-preserving inflation of a Llama model into a "cost twin" (BENCHMARKING.md): the same logits (up to float
 * rounding) with the compute and memory of a bigger model. Construction, for an original of width d, head dim hd:
 * <ul>
 *   <li><b>residual width d → D</b>: padded embedding channels are zero; every matrix that writes into the residual
 *       stream (attention output, MLP down) has zero rows for padded channels, so they stay zero; RMSNorm over D
 *       channels sees {@code mean_D(x²) = (d/D)·mean_d(x²)}, so norm weights are multiplied by {@code sqrt(d/D)} and
 *       epsilon by {@code d/D}, which makes every normalised activation exactly the original's;
 *   <li><b>head dim hd → hd'</b> (a multiple of hd): original RoPE pair i moves to pair {@code i·hd'/hd}, which has the
 *       same frequency; the other q/k rows are zero; original q rows are scaled by {@code sqrt(hd'/hd)} to undo the
 *       changed {@code 1/sqrt(head dim)}; padded value dims are random with zero output-projection columns;
 *   <li><b>more heads</b> (q and kv heads appended, keeping the GQA ratio): random q/k/v, zero output columns;
 *   <li><b>more MLP neurons</b>: random gate/up rows, zero down columns;
 *   <li><b>more layers</b>: identity layers (zero output and down projections, everything else random), spread evenly
 *       between the original layers.
 * </ul>
 * Every other new weight is random (normal, std 0.02): dense kernels cost the same whatever the values. Deterministic
 * for a seed.
 */
public final class Inflation {
    private Inflation() {}

    /**
     * Target shape of a twin.
     *
     * @param dim residual width (≥ original)
     * @param heads query heads (≥ original; ratio heads/kvHeads must equal the original's)
     * @param kvHeads key/value heads
     * @param headDim head width (a multiple of the original's)
     * @param hiddenDim MLP width (≥ original)
     * @param layers decoder layers (≥ original)
     */
    public record Shape(int dim, int heads, int kvHeads, int headDim, int hiddenDim, int layers) {}

    /** ~25M parameters from stories260K: dim 512, 8 heads / 4 kv heads of 64, MLP 1376, 8 layers. */
    public static final Shape TWIN_25M = new Shape(512, 8, 4, 64, 1376, 8);
    /** ~150M parameters from stories260K: dim 1024, 16 heads / 8 kv heads of 64, MLP 2816, 12 layers. */
    public static final Shape TWIN_150M = new Shape(1024, 16, 8, 64, 2816, 12);

    /**
     * ~1.0B parameters from stories260K: dim 2048, 32 heads / 16 kv heads of 64, MLP 8192, 16 layers — what
     * Llama-3.2-1B costs per token, vocabulary aside.
     */
    public static final Shape TWIN_1B = new Shape(2048, 32, 16, 64, 8192, 16);
    /**
     * ~94M parameters, deep and narrow (how 135M–360M models are shaped): dim 512, 8 heads / 4 kv heads of 64, MLP
     * 1536, 30 layers. A one-layer head drafter costs about 1/30 of the target here, not 1/8.
     */
    public static final Shape TWIN_DEEP = new Shape(512, 8, 4, 64, 1536, 30);

    /** Inflates {@code original} (any RoPE layout) to {@code s}, every layer in memory. */
    public static LlamaWeights inflate(LlamaWeights original, Shape s, long seed) {
        return twin(original, s, seed).materialize();
    }

    /**
     * The twin of {@code original} (any RoPE layout) with shape {@code s}, built one part at a time: each layer is
     * computed when asked for (from its own random stream, so parts can be built in any order and again), so a
     * converter holds one layer of a 1B twin in memory, not four gigabytes.
     *
     * @throws IllegalArgumentException when {@code s} cannot contain the original
     */
    public static Twin twin(LlamaWeights original, Shape s, long seed) {
        return new Twin(original.toHalfSplit(), s, seed);
    }

    /** A twin whose parts are computed on request (half-split RoPE layout); thread-safe, immutable. */
    public static final class Twin implements StreamedWeights {
        private final LlamaWeights w;
        private final Shape s;
        private final long seed;
        private final LlamaConfig tc;
        private final int[] place;   // where original layer i goes among the twin's
        private final int[] qRows;
        private final int[] kvRows;

        private Twin(LlamaWeights w, Shape s, long seed) {
            LlamaConfig c = w.config();
            if (s.dim() != s.heads() * s.headDim()) {
                throw new IllegalArgumentException("twin dim " + s.dim() + " must equal heads x headDim = "
                        + s.heads() * s.headDim());
            }
            if (s.dim() < c.dim() || s.heads() < c.heads() || s.kvHeads() < c.kvHeads()
                    || s.hiddenDim() < c.hiddenDim() || s.layers() < c.layers() || s.headDim() % c.headDim() != 0
                    || s.heads() * c.kvHeads() != s.kvHeads() * c.heads()) {
                throw new IllegalArgumentException("twin " + s + " cannot contain " + c + " (every size must grow,"
                        + " head dim by a whole factor, and the GQA ratio must stay " + c.heads() / c.kvHeads() + ")");
            }
            this.w = w;
            this.s = s;
            this.seed = seed;
            this.tc = new LlamaConfig(s.dim(), s.hiddenDim(), s.layers(), s.heads(), s.kvHeads(), s.headDim(),
                    c.vocabSize(), c.contextLength(), c.rmsEps() * c.dim() / s.dim(), c.ropeTheta(),
                    w.output() == null, c.qkvBias(), c.bosId(), c.eosId());
            // original layers are spread evenly among the twin's
            place = new int[c.layers()];
            for (int i = 0; i < c.layers(); i++) {
                place[i] = c.layers() == 1 ? 0
                        : (int) Math.round((double) i * (s.layers() - 1) / Math.max(1, c.layers() - 1));
            }
            qRows = headRows(c.heads(), c.headDim(), s.headDim());
            kvRows = headRows(c.kvHeads(), c.headDim(), s.headDim());
        }

        /** The random stream of part {@code k} (-1: embedding and head parts; i ≥ 0: layer i). */
        private SplittableRandom stream(int k) {
            return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 31L * (k + 1));
        }

        @Override
        public LlamaConfig config() {
            return tc;
        }

        @Override
        public RopeLayout layout() {
            return RopeLayout.HALF_SPLIT;
        }

        private float normScale() {
            return (float) Math.sqrt((double) w.config().dim() / s.dim());
        }

        /** {@code [V, D]}: original columns, zero padding. */
        @Override
        public float[] embedding() {
            LlamaConfig c = w.config();
            float[] emb = new float[c.vocabSize() * s.dim()];
            copyBlock(w.embedding(), c.vocabSize(), c.dim(), emb, s.dim(), identity(c.vocabSize()), identity(c.dim()));
            return emb;
        }

        @Override
        public float[] output() {
            if (w.output() == null) {
                return null;
            }
            LlamaConfig c = w.config();
            float[] out = random(stream(-1), c.vocabSize() * s.dim());
            copyBlock(w.output(), c.vocabSize(), c.dim(), out, s.dim(), identity(c.vocabSize()), identity(c.dim()));
            return out;
        }

        @Override
        public float[] finalNorm() {
            return paddedNorm(w.finalNorm(), s.dim(), normScale(), stream(-2));
        }

        @Override
        public LlamaWeights.Layer layer(int li) {
            if (li < 0 || li >= s.layers()) {
                throw new IllegalArgumentException("layer " + li + " outside 0.." + (s.layers() - 1));
            }
            LlamaConfig c = w.config();
            int d = c.dim();
            int dd = s.dim();
            SplittableRandom r = stream(li);
            LlamaWeights.Layer o = null;
            for (int i = 0; i < place.length; i++) {
                if (place[i] == li) {
                    o = w.layers().get(i);
                }
            }
            int qd = s.heads() * s.headDim();
            int kvd = s.kvHeads() * s.headDim();
            float qScale = (float) Math.sqrt((double) s.headDim() / c.headDim());
            float[] wq = o == null ? random(r, qd * dd)
                    : qWithZeroPadding(r, qd, dd, qRows, c.heads() * s.headDim());
            float[] wk = random(r, kvd * dd);
            float[] wv = random(r, kvd * dd);
            float[] wo = new float[dd * qd]; // zero unless copied
            float[] wg = random(r, s.hiddenDim() * dd);
            float[] wu = random(r, s.hiddenDim() * dd);
            float[] wdn = new float[dd * s.hiddenDim()];
            float[] bq = c.qkvBias() ? new float[qd] : null;
            float[] bk = c.qkvBias() ? new float[kvd] : null;
            float[] bv = c.qkvBias() ? random(r, kvd) : null;
            float[] attnNorm = o == null ? random1(r, dd) : paddedNorm(o.attnNorm(), dd, normScale(), r);
            float[] ffnNorm = o == null ? random1(r, dd) : paddedNorm(o.ffnNorm(), dd, normScale(), r);
            if (o != null) {
                copyBlock(scaled(o.wq(), qScale), c.qDim(), d, wq, dd, qRows, identity(d));
                copyBlock(o.wk(), c.kvDim(), d, wk, dd, kvRows, identity(d));
                copyBlock(o.wv(), c.kvDim(), d, wv, dd, kvRows, identity(d));
                copyBlock(o.wo(), d, c.qDim(), wo, qd, identity(d), qRows);
                copyBlock(o.wGate(), c.hiddenDim(), d, wg, dd, identity(c.hiddenDim()), identity(d));
                copyBlock(o.wUp(), c.hiddenDim(), d, wu, dd, identity(c.hiddenDim()), identity(d));
                copyBlock(o.wDown(), d, c.hiddenDim(), wdn, s.hiddenDim(), identity(d), identity(c.hiddenDim()));
                if (c.qkvBias()) {
                    copyBlock(scaled(o.bq(), qScale), c.qDim(), 1, bq, 1, qRows, identity(1));
                    // padded q bias of original heads stays zero (bq starts zeroed); new heads get random bias
                    for (int i = c.heads() * s.headDim(); i < qd; i++) {
                        bq[i] = random(r, 1)[0];
                    }
                    copyBlock(o.bk(), c.kvDim(), 1, bk, 1, kvRows, identity(1));
                    copyBlock(o.bv(), c.kvDim(), 1, bv, 1, kvRows, identity(1));
                }
            }
            return new LlamaWeights.Layer(attnNorm, wq, wk, wv, wo, ffnNorm, wg, wu, wdn, bq, bk, bv);
        }

        /** Every part in memory. */
        public LlamaWeights materialize() {
            List<LlamaWeights.Layer> layers = new ArrayList<>();
            for (int li = 0; li < s.layers(); li++) {
                layers.add(layer(li));
            }
            return new LlamaWeights(tc, RopeLayout.HALF_SPLIT, embedding(), layers, finalNorm(), output());
        }
    }

    /** Original head row index → twin row index (half-split: pair i → pair i·ratio in the same head). */
    private static int[] headRows(int heads, int hd, int hd2) {
        int half = hd / 2;
        int ratio = hd2 / hd;
        int[] m = new int[heads * hd];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                m[h * hd + i] = h * hd2 + i * ratio;
                m[h * hd + half + i] = h * hd2 + hd2 / 2 + i * ratio;
            }
        }
        return m;
    }

    private static int[] identity(int n) {
        int[] m = new int[n];
        for (int i = 0; i < n; i++) {
            m[i] = i;
        }
        return m;
    }

    /** dst[rowMap[i], colMap[j]] = src[i, j]. */
    private static void copyBlock(float[] src, int rows, int cols, float[] dst, int dstCols, int[] rowMap,
            int[] colMap) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[rowMap[i] * dstCols + colMap[j]] = src[i * cols + j];
            }
        }
    }

    /**
     * q of an original layer: random, except that rows of original heads which carry no original RoPE pair are zero
     * (so padded head dims add nothing to q·k; k, v and new heads stay random).
     */
    private static float[] qWithZeroPadding(SplittableRandom r, int rows, int cols, int[] mapped, int origHeadRows) {
        float[] m = random(r, rows * cols);
        boolean[] keep = new boolean[rows];
        for (int x : mapped) {
            keep[x] = true;
        }
        for (int i = 0; i < origHeadRows; i++) {
            if (!keep[i]) {
                java.util.Arrays.fill(m, i * cols, (i + 1) * cols, 0f);
            }
        }
        return m;
    }

    private static float[] paddedNorm(float[] g, int n, float scale, SplittableRandom r) {
        float[] o = random1(r, n);
        for (int i = 0; i < g.length; i++) {
            o[i] = g[i] * scale;
        }
        return o;
    }

    private static float[] scaled(float[] a, float s) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] * s;
        }
        return o;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = r.nextDouble();
            double u2 = r.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * 0.02);
        }
        return a;
    }

    private static float[] random1(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (0.8 + 0.4 * r.nextDouble());
        }
        return a;
    }
}
