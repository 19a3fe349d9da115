package io.specdec.drafters.specdecpp;

import com.google.gson.Gson;
import io.specdec.io.GgufFile;
import io.specdec.io.GgufWriter;
import io.specdec.io.TensorInfo;
import io.specdec.model.LlamaConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The SpecDec++ acceptance-prediction head (ALGORITHMS.md §7): on the draft model's last hidden state h (the input of
 * its LM head, {@code [D]}), {@code blocks} residual blocks {@code x + SiLU(W x + b)} then {@code Linear(D, 2)};
 * softmax index 1 is "accepted", index 0 "rejected". It predicts whether the token the draft samples from that state
 * is accepted by the target. Saved as GGUF ({@code general.architecture = specdec-acceptance-head},
 * {@code specdec.acceptance.blocks}, {@code specdec.acceptance.draft_config} as JSON; tensors {@code acc.<b>.w}
 * {@code [D, D]}, {@code acc.<b>.b} {@code [D]}, {@code acc.out.w} {@code [2, D]}, {@code acc.out.b} {@code [2]}).
 * Immutable; {@link #accept} is thread-safe (host arithmetic, a few thousand multiply-adds for D = 64).
 *
 * <p><b>Calibration.</b> Trained with BCE weighted {@code w} on the rejection class, the network's raw output for a
 * soft label y tends to {@code a = y / (y + w (1 − y))}, a deliberately pessimistic score; {@link #accept} inverts
 * that map, {@code y = w a / (1 − a + w a)}, so the controller multiplies probabilities (the raw score is
 * {@link #score}).
 *
 * @param draft the config of the draft model the head was trained on
 * @param blocks residual blocks
 * @param rejectWeight the rejection-class weight it was trained with ({@code specdec.acceptance.reject_weight})
 * @param tensors name → values (row-major)
 */
public record AcceptanceHead(LlamaConfig draft, int blocks, float rejectWeight, Map<String, float[]> tensors) {
    private static final Gson GSON = new Gson();

    public AcceptanceHead {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        if (blocks < 0 || blocks > 16) {
            throw new IllegalArgumentException("acceptance head blocks must be in 0..16, found " + blocks);
        }
        if (!(rejectWeight > 0)) {
            throw new IllegalArgumentException("acceptance head reject weight must be > 0, found " + rejectWeight);
        }
    }

    /** The calibrated probability for a raw score {@code a} of a head trained with weight {@code w}. */
    public static float calibrate(float a, float w) {
        return (float) (w * a / (1 - a + w * a));
    }

    /** A copy that says it was trained with {@code w}. */
    public AcceptanceHead withRejectWeight(float w) {
        return new AcceptanceHead(draft, blocks, w, tensors);
    }

    /** P(the token drafted from hidden state {@code h} is accepted), calibrated (see the class doc). */
    public float accept(float[] h) {
        return calibrate(score(h), rejectWeight);
    }

    /** Tensor names and shapes for a draft of width {@code d}. */
    public static Map<String, long[]> layout(int d, int blocks) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (int b = 0; b < blocks; b++) {
            m.put("acc." + b + ".w", new long[] {d, d});
            m.put("acc." + b + ".b", new long[] {d});
        }
        m.put("acc.out.w", new long[] {2, d});
        m.put("acc.out.b", new long[] {2});
        return m;
    }

    /** A fresh head: zero residual blocks (identity), a small random output layer. */
    public static AcceptanceHead init(LlamaConfig draft, int blocks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : layout(draft.dim(), blocks).entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
            float[] v = new float[(int) n];
            if (e.getKey().equals("acc.out.w")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (r.nextGaussian() * 0.02);
                }
            }
            t.put(e.getKey(), v);
        }
        return new AcceptanceHead(draft, blocks, 1f, t);
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
        return new AcceptanceHead(draft, blocks, rejectWeight, t);
    }

    /** The network's raw output (softmax index 1) for hidden state {@code h}, in (0, 1). */
    public float score(float[] h) {
        int d = draft.dim();
        if (h.length != d) {
            throw new IllegalArgumentException("acceptance head takes a hidden state of " + d + " values, found "
                    + h.length);
        }
        float[] x = h.clone();
        float[] y = new float[d];
        for (int b = 0; b < blocks; b++) {
            float[] w = tensors.get("acc." + b + ".w");
            float[] bias = tensors.get("acc." + b + ".b");
            for (int i = 0; i < d; i++) {
                double s = bias[i];
                for (int j = 0; j < d; j++) {
                    s += w[i * d + j] * x[j];
                }
                y[i] = (float) (s / (1 + Math.exp(-s)));
            }
            for (int i = 0; i < d; i++) {
                x[i] += y[i];
            }
        }
        float[] w = tensors.get("acc.out.w");
        float[] bias = tensors.get("acc.out.b");
        double l0 = bias[0];
        double l1 = bias[1];
        for (int j = 0; j < d; j++) {
            l0 += w[j] * x[j];
            l1 += w[d + j] * x[j];
        }
        return (float) (1 / (1 + Math.exp(l0 - l1)));
    }

    /**
     * Checks the head fits a draft: same width, vocabulary and layer count.
     *
     * @throws IllegalArgumentException naming the first field that differs, expected vs found
     */
    public void requireDraft(LlamaConfig d, String what) {
        check(what, "hidden size", draft.dim(), d.dim());
        check(what, "vocabulary", draft.vocabSize(), d.vocabSize());
        check(what, "layer count", draft.layers(), d.layers());
    }

    private static void check(String what, String field, int mine, int theirs) {
        if (mine != theirs) {
            throw new IllegalArgumentException(what + ": the acceptance head was trained for a draft with " + field
                    + " " + mine + ", this draft has " + theirs);
        }
    }

    /** Writes the head as GGUF (atomically). */
    public void save(Path file) throws IOException {
        GgufWriter g = new GgufWriter();
        g.putMetadata("general.architecture", "specdec-acceptance-head");
        g.putMetadata("specdec.acceptance.blocks", blocks);
        g.putMetadata("specdec.acceptance.reject_weight", rejectWeight);
        g.putMetadata("specdec.acceptance.draft_config", GSON.toJson(draft));
        for (Map.Entry<String, long[]> e : layout(draft.dim(), blocks).entrySet()) {
            g.putTensor(e.getKey(), e.getValue(), tensor(e.getKey()));
        }
        g.write(file);
    }

    /** Reads a head written by {@link #save}; one-line errors for other files and wrong shapes. */
    public static AcceptanceHead load(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            String arch = f.getString("general.architecture", "");
            if (!arch.equals("specdec-acceptance-head")) {
                throw new IllegalArgumentException(file + ": general.architecture is '" + arch + "', expected"
                        + " 'specdec-acceptance-head' (a file written by train-acceptance-head)");
            }
            int blocks = (int) f.getLong("specdec.acceptance.blocks");
            LlamaConfig c = GSON.fromJson(f.getString("specdec.acceptance.draft_config"), LlamaConfig.class);
            c = new LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    c.vocabSize(), c.contextLength(), c.rmsEps(), c.ropeTheta(), c.tiedEmbeddings(), c.qkvBias(),
                    c.bosId(), c.eosId());
            Map<String, float[]> t = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : layout(c.dim(), blocks).entrySet()) {
                TensorInfo ti = f.find(e.getKey());
                if (ti == null) {
                    throw new IllegalArgumentException(file + ": acceptance head lacks tensor '" + e.getKey() + "'");
                }
                float[] v = f.readFloats(ti);
                long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
                if (v.length != n) {
                    throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' has " + v.length
                            + " values, expected " + Arrays.toString(e.getValue()));
                }
                t.put(e.getKey(), v);
            }
            return new AcceptanceHead(c, blocks, (float) f.getDouble("specdec.acceptance.reject_weight", 1), t);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
