package io.specdec.drafters.specdecpp;

import io.specdec.io.GgufFile;
import io.specdec.io.GgufWriter;
import io.specdec.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The SpecDec++ acceptance-prediction head (Huang et al. 2024, arXiv:2405.19715; ALGORITHMS.md §7), for any drafter
 * whose proposals carry per-node features: on the input {@code x} of {@link AcceptanceFeatures}
 * ({@code [F + 7]}), {@code h = SiLU(W_in x + b_in)} ({@code [width]}), then {@code blocks} residual blocks
 * {@code h + SiLU(W h + b)}, then {@code P(accepted) = sigmoid(w_out · h + b_out)}: the probability that the target
 * accepts the node given its ancestors were accepted. {@link #forward} is the one forward, used by inference and by
 * the trainer (which records its activations).
 *
 * <p>File: GGUF, {@code general.architecture = specdec-acceptance-head}, {@code specdec.acceptance.version = 2},
 * {@code .drafter} (the drafter it was trained for), {@code .feature_width} F, {@code .width}, {@code .blocks};
 * tensors {@code acc.in.w [width, F+7]}, {@code acc.in.b [width]}, {@code acc.<b>.w [width, width]},
 * {@code acc.<b>.b [width]}, {@code acc.out.w [width]}, {@code acc.out.b [1]}. Loading checks every count against a
 * bound before it allocates and every weight for being finite and below {@value #MAX_WEIGHT} in magnitude.
 *
 * <p>Immutable; thread-safe.
 *
 * @param drafter the registered drafter it was trained for (e.g. {@code draft-model}, {@code eagle})
 * @param featureWidth F, the width of the drafter's per-node features (0: scalars only)
 * @param width hidden width
 * @param blocks residual blocks
 * @param tensors name → values (row-major)
 */
public record AcceptanceHead(String drafter, int featureWidth, int width, int blocks, Map<String, float[]> tensors) {
    /** File format version this class reads and writes. */
    public static final int VERSION = 2;
    /** Largest weight magnitude a head file may hold (trained heads stay far below it). */
    public static final float MAX_WEIGHT = 1e4f;
    static final int MAX_FEATURES = 1 << 16;
    static final int MAX_WIDTH = 4096;
    static final int MAX_BLOCKS = 16;

    public AcceptanceHead {
        if (drafter == null || drafter.isBlank()) {
            throw new IllegalArgumentException("acceptance head: the drafter name is empty");
        }
        check("feature width", featureWidth, 0, MAX_FEATURES);
        check("width", width, 1, MAX_WIDTH);
        check("blocks", blocks, 0, MAX_BLOCKS);
        Map<String, long[]> layout = layout(featureWidth, width, blocks);
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : layout.entrySet()) {
            float[] v = tensors.get(e.getKey());
            long n = size(e.getValue());
            if (v == null || v.length != n) {
                throw new IllegalArgumentException("acceptance head: tensor '" + e.getKey() + "' needs " + n
                        + " values, found " + (v == null ? "none" : v.length));
            }
            t.put(e.getKey(), v);
        }
        tensors = Collections.unmodifiableMap(t);
    }

    private static void check(String what, long v, long lo, long hi) {
        if (v < lo || v > hi) {
            throw new IllegalArgumentException("acceptance head " + what + " must be in " + lo + ".." + hi
                    + ", found " + v);
        }
    }

    private static long size(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Input width: features plus scalars. */
    public int inputWidth() {
        return featureWidth + AcceptanceFeatures.SCALARS;
    }

    /** Tensor names and shapes. */
    public static Map<String, long[]> layout(int featureWidth, int width, int blocks) {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("acc.in.w", new long[] {width, featureWidth + AcceptanceFeatures.SCALARS});
        m.put("acc.in.b", new long[] {width});
        for (int b = 0; b < blocks; b++) {
            m.put("acc." + b + ".w", new long[] {width, width});
            m.put("acc." + b + ".b", new long[] {width});
        }
        m.put("acc.out.w", new long[] {width});
        m.put("acc.out.b", new long[] {1});
        return m;
    }

    /** A fresh head: He-style random input layer, zero residual blocks (identity), a small random output. */
    public static AcceptanceHead init(String drafter, int featureWidth, int width, int blocks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> t = new LinkedHashMap<>();
        int in = featureWidth + AcceptanceFeatures.SCALARS;
        for (Map.Entry<String, long[]> e : layout(featureWidth, width, blocks).entrySet()) {
            float[] v = new float[(int) size(e.getValue())];
            double std = e.getKey().equals("acc.in.w") ? Math.sqrt(2.0 / in)
                    : e.getKey().equals("acc.out.w") ? 0.02 : 0;
            for (int i = 0; i < v.length && std > 0; i++) {
                v[i] = (float) (r.nextGaussian() * std);
            }
            t.put(e.getKey(), v);
        }
        return new AcceptanceHead(drafter, featureWidth, width, blocks, t);
    }

    /** The tensor {@code name}. */
    public float[] tensor(String name) {
        float[] t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("acceptance head lacks tensor '" + name + "'");
        }
        return t;
    }

    /** A copy with these values (same names and sizes). */
    public AcceptanceHead with(Map<String, float[]> values) {
        Map<String, float[]> t = new LinkedHashMap<>(tensors);
        values.forEach((k, v) -> {
            if (!t.containsKey(k) || t.get(k).length != v.length) {
                throw new IllegalArgumentException("no tensor '" + k + "' of " + v.length + " values");
            }
            t.put(k, v.clone());
        });
        return new AcceptanceHead(drafter, featureWidth, width, blocks, t);
    }

    /** P(accepted) for input {@code x} ({@link AcceptanceFeatures#input}). */
    public float accept(float[] x) {
        double z = forward(x, null);
        return (float) (1 / (1 + Math.exp(-z)));
    }

    /**
     * The one forward: the output logit for input {@code x}. With {@code trace} (length {@code 2 + 2·blocks}),
     * records {@code trace[0]} = the input layer's pre-activation, then per block its input and pre-activation, and
     * the last entry the final hidden state — what {@link AcceptanceHeadTrainer} backpropagates through.
     *
     * @throws IllegalArgumentException for an input of the wrong width
     * @throws IllegalStateException when the result is not finite (weights that overflow)
     */
    public double forward(float[] x, double[][] trace) {
        int in = inputWidth();
        if (x.length != in) {
            throw new IllegalArgumentException("acceptance head takes " + in + " inputs, found " + x.length);
        }
        float[] w = tensors.get("acc.in.w");
        float[] b = tensors.get("acc.in.b");
        double[] z = new double[width];
        double[] h = new double[width];
        for (int i = 0; i < width; i++) {
            double s = b[i];
            int o = i * in;
            for (int j = 0; j < in; j++) {
                s += w[o + j] * x[j];
            }
            z[i] = s;
            h[i] = silu(s);
        }
        int t = 0;
        if (trace != null) {
            trace[t++] = z;
        }
        for (int k = 0; k < blocks; k++) {
            float[] bw = tensors.get("acc." + k + ".w");
            float[] bb = tensors.get("acc." + k + ".b");
            double[] zk = new double[width];
            double[] next = h.clone();
            for (int i = 0; i < width; i++) {
                double s = bb[i];
                int o = i * width;
                for (int j = 0; j < width; j++) {
                    s += bw[o + j] * h[j];
                }
                zk[i] = s;
                next[i] += silu(s);
            }
            if (trace != null) {
                trace[t++] = h;
                trace[t++] = zk;
            }
            h = next;
        }
        if (trace != null) {
            trace[t] = h;
        }
        float[] ow = tensors.get("acc.out.w");
        double out = tensors.get("acc.out.b")[0];
        for (int i = 0; i < width; i++) {
            out += ow[i] * h[i];
        }
        if (!Double.isFinite(out)) {
            throw new IllegalStateException("acceptance head (for " + drafter + ") gave a non-finite score: its"
                    + " weights overflow; retrain it with train-acceptance-head");
        }
        return out;
    }

    static double silu(double z) {
        return z / (1 + Math.exp(-z));
    }

    /** d SiLU / dz. */
    static double siluGrad(double z) {
        double s = 1 / (1 + Math.exp(-z));
        return s * (1 + z * (1 - s));
    }

    /**
     * Checks the head fits a drafter: trained for the same drafter and the same feature width.
     *
     * @throws IllegalArgumentException naming {@code what}, expected vs found
     */
    public void requireDrafter(String name, int width, String what) {
        if (!drafter.equals(name)) {
            throw new IllegalArgumentException(what + ": the acceptance head was trained for drafter " + drafter
                    + ", not " + name + " (train one with train-acceptance-head --drafter " + name + ")");
        }
        if (featureWidth != width) {
            throw new IllegalArgumentException(what + ": the acceptance head reads " + featureWidth + " features per"
                    + " drafted token, drafter " + name + " gives " + width);
        }
    }

    /** Writes the head as GGUF (atomically). */
    public void save(Path file) throws IOException {
        GgufWriter g = new GgufWriter();
        g.putMetadata("general.architecture", "specdec-acceptance-head");
        g.putMetadata("specdec.acceptance.version", VERSION);
        g.putMetadata("specdec.acceptance.drafter", drafter);
        g.putMetadata("specdec.acceptance.feature_width", featureWidth);
        g.putMetadata("specdec.acceptance.width", width);
        g.putMetadata("specdec.acceptance.blocks", blocks);
        g.putMetadata("specdec.acceptance.scalars", String.join(",", AcceptanceFeatures.SCALAR_NAMES));
        for (Map.Entry<String, long[]> e : layout(featureWidth, width, blocks).entrySet()) {
            g.putTensor(e.getKey(), e.getValue(), tensor(e.getKey()));
        }
        g.write(file);
    }

    /**
     * Reads a head written by {@link #save}: one-line errors naming the file and the key or tensor for other files,
     * other versions, counts out of range, wrong shapes and non-finite or out-of-range weights.
     */
    public static AcceptanceHead load(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            String arch = f.getString("general.architecture", "");
            if (!arch.equals("specdec-acceptance-head")) {
                throw new IllegalArgumentException(file + ": general.architecture is '" + arch + "', expected"
                        + " 'specdec-acceptance-head' (a file written by train-acceptance-head)");
            }
            long version = f.getLong("specdec.acceptance.version", 1);
            if (version != VERSION) {
                throw new IllegalArgumentException(file + ": specdec.acceptance.version is " + version + ", this"
                        + " library reads version " + VERSION + " (retrain with train-acceptance-head)");
            }
            String scalars = f.getString("specdec.acceptance.scalars", "");
            String expected = String.join(",", AcceptanceFeatures.SCALAR_NAMES);
            if (!scalars.equals(expected)) {
                throw new IllegalArgumentException(file + ": specdec.acceptance.scalars is '" + scalars + "', this"
                        + " library feeds '" + expected + "' (retrain with train-acceptance-head)");
            }
            String drafter = f.getString("specdec.acceptance.drafter", "");
            int fw = (int) bounded(f, file, "specdec.acceptance.feature_width", 0, MAX_FEATURES);
            int width = (int) bounded(f, file, "specdec.acceptance.width", 1, MAX_WIDTH);
            int blocks = (int) bounded(f, file, "specdec.acceptance.blocks", 0, MAX_BLOCKS);
            Map<String, float[]> t = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : layout(fw, width, blocks).entrySet()) {
                TensorInfo ti = f.find(e.getKey());
                if (ti == null) {
                    throw new IllegalArgumentException(file + ": acceptance head lacks tensor '" + e.getKey() + "'");
                }
                long n = size(e.getValue());
                if (ti.elements() != n) {
                    throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' has "
                            + ti.elements() + " values, expected " + java.util.Arrays.toString(e.getValue()));
                }
                float[] v = f.readFloats(ti);
                for (int i = 0; i < v.length; i++) {
                    if (!(Math.abs(v[i]) <= MAX_WEIGHT)) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' holds " + v[i]
                                + " at index " + i + ": weights must be finite and within ±" + MAX_WEIGHT);
                    }
                }
                t.put(e.getKey(), v);
            }
            try {
                return new AcceptanceHead(drafter, fw, width, blocks, t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static long bounded(GgufFile f, Path file, String key, long lo, long hi) {
        if (!f.has(key)) {
            throw new IllegalArgumentException(file + ": acceptance head lacks metadata key " + key);
        }
        long v;
        try {
            v = f.getLong(key);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": metadata " + key + " is not an integer");
        }
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(file + ": metadata " + key + " must be in " + lo + ".." + hi
                    + ", found " + v);
        }
        return v;
    }
}
