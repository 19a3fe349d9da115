package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import io.specdec.io.ConfigJson;
import io.specdec.io.GgufFile;
import io.specdec.io.GgufWriter;
import io.specdec.io.TensorInfo;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.model.RopeLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trained draft heads for one target (Medusa, Hydra or EAGLE-style): the weights, the shape of the target they read
 * and how they were built. Saved as GGUF with the project's writer ({@code general.architecture = specdec-heads},
 * {@code specdec.heads.kind}, {@code specdec.heads.count}, {@code specdec.heads.blocks},
 * {@code specdec.heads.target_config} as JSON, one F32 tensor per weight).
 *
 * <p>Tensors (row-major {@code [out, in]}, D = the target's width):
 * <ul>
 *   <li>Medusa head k, block b: {@code medusa.k.b.w} {@code [D, D]}, {@code medusa.k.b.b} {@code [D]};
 *   <li>Hydra head k (input width {@code (k+2)·D}: the hidden state and k+1 token embeddings): block 0
 *       {@code hydra.k.0.w}, {@code hydra.k.0.r} (the residual projection) {@code [D, (k+2)D]},
 *       {@code hydra.k.0.b} {@code [D]}; blocks b ≥ 1 as Medusa's;
 *   <li>EAGLE: {@code eagle.fc.w} {@code [D, 2D]}, {@code eagle.fc.b} {@code [D]}, {@code eagle.final_norm}
 *       {@code [D]} and the decoder layer {@code eagle.<attn_norm|wq|wk|wv|wo|ffn_norm|w_gate|w_up|w_down>} with the
 *       target's layer shapes (half-split RoPE).
 * </ul>
 * The LM head and the embedding are the target's own (frozen) and are not stored. Immutable.
 *
 * @param kind the family
 * @param target the config of the target the heads were trained on
 * @param count heads (Medusa/Hydra: future positions; EAGLE: 1)
 * @param blocks residual blocks per head (Medusa/Hydra; 1 = the papers' default, more = Hydra++'s deeper MLP)
 * @param tensors name → values
 * @param shapes name → row-major shape
 */
public record DraftHeads(HeadKind kind, LlamaConfig target, int count, int blocks, Map<String, float[]> tensors,
        Map<String, long[]> shapes) {
    private static final Gson GSON = new Gson();
    /** Most heads a file may hold (Medusa/Hydra future positions). */
    static final int MAX_COUNT = 64;
    /** Most residual blocks per head. */
    static final int MAX_BLOCKS = 16;
    /** Largest weight magnitude a heads file may hold (trained heads stay far below it). */
    static final float MAX_WEIGHT = 1e6f;
    /** The layer tensors of an EAGLE drafter, in {@link LlamaWeights.Layer} order. */
    static final List<String> LAYER = List.of("attn_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w_gate", "w_up",
            "w_down");

    public DraftHeads {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
        if (count < 1 || blocks < 1) {
            throw new IllegalArgumentException("heads need count >= 1 and blocks >= 1, found " + count + ", " + blocks);
        }
    }

    /** Parameters stored. */
    public long parameterCount() {
        long n = 0;
        for (float[] t : tensors.values()) {
            n += t.length;
        }
        return n;
    }

    /** The tensor {@code name}; a one-line error naming the file's kind when absent. */
    public float[] tensor(String name) {
        float[] t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(kind.id() + " heads lack tensor '" + name + "'");
        }
        return t;
    }

    /** Every tensor as an NDArray in {@code m} (on its device), same names. */
    public Map<String, NDArray> toArrays(NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            out.put(e.getKey(), m.create(e.getValue(), new Shape(shapes.get(e.getKey()))));
        }
        return out;
    }

    /**
     * Checks that these heads fit {@code t}: same width, vocabulary, layer count, heads and MLP width.
     *
     * @param what the heads' file (for the message)
     * @throws IllegalArgumentException naming the first field that differs, expected vs found
     */
    public void requireTarget(LlamaConfig t, String what) {
        check(what, "hidden size", target.dim(), t.dim());
        check(what, "vocabulary", target.vocabSize(), t.vocabSize());
        check(what, "layer count", target.layers(), t.layers());
        check(what, "attention heads", target.heads(), t.heads());
        check(what, "key/value heads", target.kvHeads(), t.kvHeads());
        check(what, "MLP width", target.hiddenDim(), t.hiddenDim());
        if (kind == HeadKind.EAGLE) {
            check(what, "context length", target.contextLength(), t.contextLength());
        }
    }

    private static void check(String what, String field, int mine, int theirs) {
        if (mine != theirs) {
            throw new IllegalArgumentException(what + ": heads were trained for a target with " + field + " " + mine
                    + ", this target has " + theirs);
        }
    }

    /** Writes the heads as GGUF (atomically). */
    public void save(Path file) throws IOException {
        GgufWriter g = new GgufWriter();
        g.putMetadata("general.architecture", "specdec-heads");
        g.putMetadata("specdec.heads.kind", kind.id());
        g.putMetadata("specdec.heads.count", count);
        g.putMetadata("specdec.heads.blocks", blocks);
        g.putMetadata("specdec.heads.target_config", GSON.toJson(target));
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            g.putTensor(e.getKey(), shapes.get(e.getKey()), e.getValue());
        }
        g.write(file);
    }

    /**
     * Reads heads written by {@link #save}.
     *
     * @throws IllegalArgumentException when the file is not a heads file, or a tensor has the wrong shape
     */
    public static DraftHeads load(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            String arch = f.getString("general.architecture", "");
            if (!arch.equals("specdec-heads")) {
                throw new IllegalArgumentException(file + ": general.architecture is '" + arch + "', expected"
                        + " 'specdec-heads' (a file written by train-medusa, train-hydra or train-eagle)");
            }
            HeadKind kind;
            try {
                kind = HeadKind.of(f.getString("specdec.heads.kind"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
            // counts are checked before anything is sized by them
            int count = (int) bounded(f, file, "specdec.heads.count", 1, MAX_COUNT);
            int blocks = (int) bounded(f, file, "specdec.heads.blocks", 1, MAX_BLOCKS);
            LlamaConfig c = ConfigJson.llamaConfig(f.getString("specdec.heads.target_config"), file
                    + ": metadata specdec.heads.target_config");
            Map<String, long[]> expected = layout(kind, c, count, blocks);
            Map<String, float[]> t = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                TensorInfo ti = f.find(e.getKey());
                if (ti == null) {
                    throw new IllegalArgumentException(file + ": " + kind.id() + " heads lack tensor '" + e.getKey()
                            + "'");
                }
                long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
                if (ti.elements() != n) {
                    throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' has " + ti.elements()
                            + " values, expected " + Arrays.toString(e.getValue()));
                }
                float[] data = f.readFloats(ti);
                for (int i = 0; i < data.length; i++) {
                    if (!(Math.abs(data[i]) <= MAX_WEIGHT)) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' holds " + data[i]
                                + " at index " + i + ": weights must be finite and within ±" + MAX_WEIGHT);
                    }
                }
                t.put(e.getKey(), data);
            }
            return new DraftHeads(kind, c, count, blocks, t, expected);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static long bounded(GgufFile f, Path file, String key, long lo, long hi) {
        long v = f.getLong(key);
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(file + ": metadata " + key + " must be in " + lo + ".." + hi
                    + ", found " + v);
        }
        return v;
    }

    /** The tensor names and shapes of a heads file of this kind for target {@code c}. */
    public static Map<String, long[]> layout(HeadKind kind, LlamaConfig c, int count, int blocks) {
        long d = c.dim();
        Map<String, long[]> m = new LinkedHashMap<>();
        switch (kind) {
            case MEDUSA -> {
                for (int k = 0; k < count; k++) {
                    for (int b = 0; b < blocks; b++) {
                        m.put("medusa." + k + "." + b + ".w", new long[] {d, d});
                        m.put("medusa." + k + "." + b + ".b", new long[] {d});
                    }
                }
            }
            case HYDRA -> {
                for (int k = 0; k < count; k++) {
                    m.put("hydra." + k + ".0.w", new long[] {d, (k + 2) * d});
                    m.put("hydra." + k + ".0.r", new long[] {d, (k + 2) * d});
                    m.put("hydra." + k + ".0.b", new long[] {d});
                    for (int b = 1; b < blocks; b++) {
                        m.put("hydra." + k + "." + b + ".w", new long[] {d, d});
                        m.put("hydra." + k + "." + b + ".b", new long[] {d});
                    }
                }
            }
            case EAGLE -> {
                m.put("eagle.fc.w", new long[] {d, 2 * d});
                m.put("eagle.fc.b", new long[] {d});
                m.put("eagle.final_norm", new long[] {d});
                long[][] shapes = {{d}, {c.qDim(), d}, {c.kvDim(), d}, {c.kvDim(), d}, {d, c.qDim()}, {d},
                    {c.hiddenDim(), d}, {c.hiddenDim(), d}, {d, c.hiddenDim()}};
                for (int i = 0; i < LAYER.size(); i++) {
                    m.put("eagle." + LAYER.get(i), shapes[i]);
                }
            }
            default -> throw new IllegalStateException();
        }
        return m;
    }

    /**
     * Fresh heads as the papers initialise them: Medusa and Hydra blocks with zero weights (so every head starts as
     * the LM head on the hidden state; Hydra's residual projection starts as {@code [I, 0, …]}), EAGLE's decoder
     * layer copied from the target's last layer (a start in the target's own feature space), its final norm from the
     * target's, and {@code fc} mapping the feature half to itself.
     *
     * @param targetWeights the target (EAGLE copies its last layer and final norm)
     */
    public static DraftHeads init(HeadKind kind, LlamaWeights targetWeights, int count, int blocks, long seed) {
        return init(kind, targetWeights, count, blocks, targetWeights.config().layers() - 1, seed);
    }

    /**
     * As {@link #init(HeadKind, LlamaWeights, int, int, long)}, EAGLE's decoder layer copied from target layer
     * {@code eagleInitLayer} (0-based).
     */
    public static DraftHeads init(HeadKind kind, LlamaWeights targetWeights, int count, int blocks,
            int eagleInitLayer, long seed) {
        LlamaWeights w = targetWeights.toHalfSplit();
        if (eagleInitLayer < 0 || eagleInitLayer >= w.config().layers()) {
            throw new IllegalArgumentException("EAGLE init layer must be in 0.." + (w.config().layers() - 1)
                    + ", found " + eagleInitLayer);
        }
        LlamaConfig c = w.config();
        int d = c.dim();
        Map<String, long[]> shapes = layout(kind, c, count, blocks);
        Map<String, float[]> t = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
            t.put(e.getKey(), new float[(int) n]);
        }
        if (kind == HeadKind.HYDRA) {
            for (int k = 0; k < count; k++) {
                float[] res = t.get("hydra." + k + ".0.r");
                int in = (k + 2) * d;
                for (int i = 0; i < d; i++) {
                    res[i * in + i] = 1f;
                }
            }
        }
        if (kind == HeadKind.EAGLE) {
            float[] fc = t.get("eagle.fc.w");
            for (int i = 0; i < d; i++) {
                fc[i * 2 * d + d + i] = 1f;                       // feature half → identity
                fc[i * 2 * d + i] = (float) (r.nextGaussian() * 0.02); // embedding half: small random
            }
            LlamaWeights.Layer last = w.layers().get(eagleInitLayer);
            float[][] src = {last.attnNorm(), last.wq(), last.wk(), last.wv(), last.wo(), last.ffnNorm(),
                last.wGate(), last.wUp(), last.wDown()};
            for (int i = 0; i < LAYER.size(); i++) {
                t.put("eagle." + LAYER.get(i), src[i].clone());
            }
            t.put("eagle.final_norm", w.finalNorm().clone());
        }
        return new DraftHeads(kind, c, count, blocks, t, shapes);
    }

    /** A copy with {@code values} replacing tensors of the same names (shapes unchanged). */
    public DraftHeads with(Map<String, float[]> values) {
        Map<String, float[]> t = new LinkedHashMap<>(tensors);
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            float[] old = tensors.get(e.getKey());
            if (old == null || old.length != e.getValue().length) {
                throw new IllegalArgumentException("no tensor '" + e.getKey() + "' of " + e.getValue().length
                        + " values in these heads");
            }
            t.put(e.getKey(), e.getValue().clone());
        }
        return new DraftHeads(kind, target, count, blocks, t, shapes);
    }

    /**
     * The EAGLE decoder as a one-layer Llama over the target's embedding and LM head: what both the inference
     * runtime and the training forward run (the input rows are {@code fc}'s output, so the embedding is unused).
     *
     * @param embedding the target's embedding {@code [V, D]}
     * @param lmHead the target's LM head {@code [V, D]}; null ties it to {@code embedding}
     */
    public LlamaWeights eagleLayer(float[] embedding, float[] lmHead) {
        if (kind != HeadKind.EAGLE) {
            throw new IllegalStateException(kind.id() + " heads have no decoder layer");
        }
        LlamaConfig c = target;
        LlamaConfig one = new LlamaConfig(c.dim(), c.hiddenDim(), 1, c.heads(), c.kvHeads(), c.headDim(),
                c.vocabSize(), c.contextLength(), c.rmsEps(), c.ropeTheta(), lmHead == null, false, c.bosId(),
                c.eosId());
        LlamaWeights.Layer l = new LlamaWeights.Layer(tensor("eagle.attn_norm"), tensor("eagle.wq"),
                tensor("eagle.wk"), tensor("eagle.wv"), tensor("eagle.wo"), tensor("eagle.ffn_norm"),
                tensor("eagle.w_gate"), tensor("eagle.w_up"), tensor("eagle.w_down"), null, null, null);
        return new LlamaWeights(one, RopeLayout.HALF_SPLIT, embedding, List.of(l), tensor("eagle.final_norm"),
                lmHead);
    }

    /**
     * These heads for a cost twin of their target, by the twin's own function-preserving construction
     * ({@link Inflation}): the twin's last hidden state is the original's in its first D channels and zero in the
     * rest, so Medusa/Hydra blocks keep the original block in their first rows and columns (each embedding slot of a
     * Hydra input moved to its twin offset) and zero elsewhere — padded channels stay zero and every head's logits
     * are the original's. EAGLE's decoder layer is inflated by {@link Inflation#inflate} itself (as a one-layer
     * model), {@code fc} by the same channel placement. Twin-sized compute, the original's drafts.
     *
     * @param twin the twin target's config (must be an inflation of {@link #target})
     */
    public DraftHeads inflate(LlamaConfig twin, long seed) {
        LlamaConfig c = target;
        if (twin.vocabSize() != c.vocabSize()) {
            throw new IllegalArgumentException("twin vocabulary " + twin.vocabSize() + " differs from the heads' "
                    + c.vocabSize());
        }
        int d = c.dim();
        int dd = twin.dim();
        if (dd < d || twin.heads() < c.heads() || twin.hiddenDim() < c.hiddenDim()
                || twin.headDim() % c.headDim() != 0) {
            throw new IllegalArgumentException("target " + twin + " is not a cost twin of the heads' target " + c);
        }
        Map<String, long[]> shapes = layout(kind, twin, count, blocks);
        Map<String, float[]> t = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        switch (kind) {
            case MEDUSA, HYDRA -> {
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    String name = e.getKey();
                    long[] s = e.getValue();
                    float[] src = tensor(name);
                    float[] dst = new float[(int) Arrays.stream(s).reduce(1, (a, b) -> a * b)];
                    if (s.length == 1) {
                        System.arraycopy(src, 0, dst, 0, d);
                    } else {
                        int slots = (int) (s[1] / dd);
                        for (int i = 0; i < d; i++) {
                            for (int slot = 0; slot < slots; slot++) {
                                System.arraycopy(src, i * slots * d + slot * d, dst, (int) (i * s[1] + (long) slot * dd),
                                        d);
                            }
                        }
                        // columns that only ever multiply zero channels may hold anything: random, as in a twin
                        for (int i = 0; i < s[0]; i++) {
                            for (int slot = 0; slot < slots; slot++) {
                                for (int j = d; j < dd; j++) {
                                    dst[(int) (i * s[1] + (long) slot * dd + j)] = (float) (r.nextGaussian() * 0.02);
                                }
                            }
                        }
                    }
                    t.put(name, dst);
                }
            }
            case EAGLE -> {
                // the layer: inflate a one-layer model with the heads' layer, then take its layer and final norm
                float[] emb = new float[c.vocabSize() * d];
                LlamaWeights one = eagleLayer(emb, null);
                Inflation.Shape shape = new Inflation.Shape(dd, twin.heads(), twin.kvHeads(), twin.headDim(),
                        twin.hiddenDim(), 1);
                LlamaWeights big = Inflation.inflate(one, shape, seed);
                LlamaWeights.Layer l = big.layers().get(0);
                float[][] src = {l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm(), l.wGate(), l.wUp(),
                    l.wDown()};
                for (int i = 0; i < LAYER.size(); i++) {
                    t.put("eagle." + LAYER.get(i), src[i]);
                }
                t.put("eagle.final_norm", big.finalNorm());
                // fc [D, 2D] → [D', 2D']: original block placed at the twin offsets of both halves, zero rows for
                // padded output channels (the residual stream's padded channels stay zero, as in the twin)
                float[] fc = tensor("eagle.fc.w");
                float[] fcT = new float[dd * 2 * dd];
                for (int i = 0; i < dd; i++) {
                    for (int j = 0; j < 2 * dd; j++) {
                        int half = j / dd;
                        int jj = j % dd;
                        if (i < d && jj < d) {
                            fcT[i * 2 * dd + j] = fc[i * 2 * d + half * d + jj];
                        } else if (i < d) {
                            fcT[i * 2 * dd + j] = (float) (r.nextGaussian() * 0.02); // multiplies zero channels
                        }
                    }
                }
                t.put("eagle.fc.w", fcT);
                float[] fb = new float[dd];
                System.arraycopy(tensor("eagle.fc.b"), 0, fb, 0, d);
                t.put("eagle.fc.b", fb);
            }
            default -> throw new IllegalStateException();
        }
        Map<String, long[]> ordered = new LinkedHashMap<>();
        Map<String, float[]> tOrdered = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            ordered.put(name, shapes.get(name));
            tOrdered.put(name, t.get(name));
        }
        return new DraftHeads(kind, twin, count, blocks, tOrdered, ordered);
    }

    /** Names of the tensors (in file order). */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }
}
