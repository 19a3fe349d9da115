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
 * Trained draft heads for one target, of any registered family ({@link HeadArchitecture}: Medusa, Hydra,
 * EAGLE-style, …): the weights, the shape of the target they read and how they were built. Saved as GGUF with the project's writer ({@code general.architecture = specdec-heads},
 * {@code specdec.heads.kind}, {@code specdec.heads.count}, {@code specdec.heads.blocks},
 * {@code specdec.heads.target_config} as JSON, one F32 tensor per weight).
 *
 * <p>Tensors (row-major {@code [out, in]}, D = the target's width):
 * The layout is the family's ({@link HeadArchitecture#layout}); the built-in ones:
 * <ul>
 *   <li>Medusa head k, block b: {@code medusa.k.b.w} {@code [D, D]}, {@code medusa.k.b.b} {@code [D]};
 *   <li>Hydra head k (input width {@code (k+2)·D}: the hidden state and k+1 token embeddings): block 0
 *       {@code hydra.k.0.w}, {@code hydra.k.0.r} (the residual projection) {@code [D, (k+2)D]},
 *       {@code hydra.k.0.b} {@code [D]}; blocks b ≥ 1 as Medusa's;
 *   <li>EAGLE: {@code eagle.fc.w} {@code [D, 2D]}, {@code eagle.fc.b} {@code [D]}, {@code eagle.final_norm}
 *       {@code [D]} and the decoder layer {@code eagle.<attn_norm|wq|wk|wv|wo|ffn_norm|w_gate|w_up|w_down>} with the
 *       target's layer shapes (half-split RoPE);
 *   <li>other families: their {@link HeadArchitecture} class.
 * </ul>
 * The LM head and the embedding are the target's own (frozen) and are not stored. Immutable.
 *
 * @param architecture the family
 * @param target the config of the target the heads were trained on
 * @param count heads (Medusa/Hydra: future positions; EAGLE: 1)
 * @param blocks residual blocks per head (Medusa/Hydra; 1 = the papers' default, more = Hydra++'s deeper MLP)
 * @param tensors name → values
 * @param shapes name → row-major shape
 */
public record DraftHeads(HeadArchitecture architecture, LlamaConfig target, int count, int blocks, Map<String, float[]> tensors,
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
        java.util.Objects.requireNonNull(architecture, "architecture");
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
            throw new IllegalArgumentException(architecture.id() + " heads lack tensor '" + name + "'");
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
        if (architecture.readsContext()) {
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
        g.putMetadata("specdec.heads.kind", architecture.id());
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
                        + " 'specdec-heads' (a file written by train-heads)");
            }
            HeadArchitecture kind;
            try {
                kind = HeadArchitectures.of(f.getString("specdec.heads.kind"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
            // counts are checked before anything is sized by them
            int count = (int) bounded(f, file, "specdec.heads.count", 1, MAX_COUNT);
            int blocks = (int) bounded(f, file, "specdec.heads.blocks", 1, MAX_BLOCKS);
            LlamaConfig c = ConfigJson.llamaConfig(f.getString("specdec.heads.target_config"), file
                    + ": metadata specdec.heads.target_config");
            Map<String, long[]> expected = kind.layout(c, count, blocks);
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

    /**
     * Fresh heads as the family's paper initialises them ({@link HeadArchitecture#init}), a decoder layer (EAGLE,
     * Clover) copied from the target's last layer.
     *
     * @param targetWeights the target (families with a decoder layer copy its last layer and final norm)
     */
    public static DraftHeads init(HeadArchitecture kind, LlamaWeights targetWeights, int count, int blocks,
            long seed) {
        return init(kind, targetWeights, count, blocks, targetWeights.config().layers() - 1, seed);
    }

    /**
     * As {@link #init(HeadArchitecture, LlamaWeights, int, int, long)}, a decoder layer copied from target layer
     * {@code initLayer} (0-based).
     */
    public static DraftHeads init(HeadArchitecture kind, LlamaWeights targetWeights, int count, int blocks,
            int initLayer, long seed) {
        LlamaWeights w = targetWeights.toHalfSplit();
        if (initLayer < 0 || initLayer >= w.config().layers()) {
            throw new IllegalArgumentException("init layer must be in 0.." + (w.config().layers() - 1)
                    + ", found " + initLayer);
        }
        if (kind.fixedCount() > 0) {
            count = kind.fixedCount();
        }
        if (!kind.hasBlocks()) {
            blocks = 1;
        }
        LlamaConfig c = w.config();
        Map<String, long[]> shapes = kind.layout(c, count, blocks);
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            t.put(e.getKey(), new float[(int) elements(e.getValue())]);
        }
        kind.init(t, w, count, blocks, initLayer, new SplittableRandom(seed));
        return new DraftHeads(kind, c, count, blocks, t, shapes);
    }

    static long elements(long[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /** Adds a decoder layer's tensors {@code prefix.<attn_norm|wq|…>} with the target's layer shapes to {@code m}. */
    static void putDecoderLayout(Map<String, long[]> m, String prefix, LlamaConfig c) {
        long d = c.dim();
        long[][] shapes = {{d}, {c.qDim(), d}, {c.kvDim(), d}, {c.kvDim(), d}, {d, c.qDim()}, {d},
            {c.hiddenDim(), d}, {c.hiddenDim(), d}, {d, c.hiddenDim()}};
        for (int i = 0; i < LAYER.size(); i++) {
            m.put(prefix + LAYER.get(i), shapes[i]);
        }
    }

    /** Copies target layer {@code layer} into the decoder tensors {@code prefix.<…>} of {@code t}. */
    static void copyDecoderLayer(Map<String, float[]> t, String prefix, LlamaWeights w, int layer) {
        LlamaWeights.Layer l = w.layers().get(layer);
        float[][] src = {l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm(), l.wGate(), l.wUp(), l.wDown()};
        for (int i = 0; i < LAYER.size(); i++) {
            t.put(prefix + LAYER.get(i), src[i].clone());
        }
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
        return new DraftHeads(architecture, target, count, blocks, t, shapes);
    }

    /**
     * A decoder layer of these heads ({@code prefix.<attn_norm|wq|…>} and {@code prefix.final_norm}) as a one-layer
     * Llama over the target's embedding and LM head: what both the inference runtime and the training forward run
     * (EAGLE's and Clover's input rows are their own fused inputs, so the embedding is unused).
     *
     * @param prefix the tensors' prefix ({@code "eagle."}, {@code "clover."})
     * @param embedding the target's embedding {@code [V, D]}
     * @param lmHead the target's LM head {@code [V, D]}; null ties it to {@code embedding}
     */
    public LlamaWeights decoderLayer(String prefix, float[] embedding, float[] lmHead) {
        LlamaConfig c = target;
        LlamaConfig one = new LlamaConfig(c.dim(), c.hiddenDim(), 1, c.heads(), c.kvHeads(), c.headDim(),
                c.vocabSize(), c.contextLength(), c.rmsEps(), c.ropeTheta(), lmHead == null, false, c.bosId(),
                c.eosId());
        LlamaWeights.Layer l = new LlamaWeights.Layer(tensor(prefix + "attn_norm"), tensor(prefix + "wq"),
                tensor(prefix + "wk"), tensor(prefix + "wv"), tensor(prefix + "wo"), tensor(prefix + "ffn_norm"),
                tensor(prefix + "w_gate"), tensor(prefix + "w_up"), tensor(prefix + "w_down"), null, null, null);
        return new LlamaWeights(one, RopeLayout.HALF_SPLIT, embedding, List.of(l), tensor(prefix + "final_norm"),
                lmHead);
    }

    /**
     * These heads for a cost twin of their target, by the twin's own function-preserving construction
     * ({@link Inflation}): the twin's last hidden state is the original's in its first D channels and zero in the
     * rest; each family places its tensors accordingly ({@link HeadArchitecture#inflate}; Medusa/Hydra blocks keep
     * the original block in their first rows and columns, EAGLE's layer goes through {@link Inflation#inflate}).
     * Twin-sized compute, the original's drafts.
     *
     * @param twin the twin target's config (must be an inflation of {@link #target})
     * @throws IllegalArgumentException when {@code twin} is not a cost twin of the target or the family cannot be
     *     inflated
     */
    public DraftHeads inflate(LlamaConfig twin, long seed) {
        LlamaConfig c = target;
        if (twin.vocabSize() != c.vocabSize()) {
            throw new IllegalArgumentException("twin vocabulary " + twin.vocabSize() + " differs from the heads' "
                    + c.vocabSize());
        }
        if (twin.dim() < c.dim() || twin.heads() < c.heads() || twin.hiddenDim() < c.hiddenDim()
                || twin.headDim() % c.headDim() != 0) {
            throw new IllegalArgumentException("target " + twin + " is not a cost twin of the heads' target " + c);
        }
        Map<String, long[]> shapes = architecture.layout(twin, count, blocks);
        Map<String, float[]> t = architecture.inflate(this, twin, new SplittableRandom(seed));
        Map<String, float[]> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            float[] v = t.get(e.getKey());
            if (v == null || v.length != elements(e.getValue())) {
                throw new IllegalStateException(architecture.id() + " inflation left tensor '" + e.getKey()
                        + "' missing or misshapen");
            }
            ordered.put(e.getKey(), v);
        }
        return new DraftHeads(architecture, twin, count, blocks, ordered, shapes);
    }

    /** Every tensor of {@code shapes} placed by {@link #placeChannels(String, long[], int, SplittableRandom)}. */
    Map<String, float[]> placeChannels(Map<String, long[]> shapes, int twinDim, SplittableRandom r) {
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            t.put(e.getKey(), placeChannels(e.getKey(), e.getValue(), twinDim, r));
        }
        return t;
    }

    /**
     * Places an {@code [out, slots·D]} (or {@code [D]}) tensor of these heads into its twin shape {@code s}: the
     * original block in the first D rows of each D'-wide input slot, zero rows for padded output channels, random
     * columns where they only ever multiply zero channels (as in a twin).
     */
    float[] placeChannels(String name, long[] s, int twinDim, SplittableRandom r) {
        int d = target.dim();
        float[] src = tensor(name);
        float[] dst = new float[(int) elements(s)];
        if (s.length == 1) {
            System.arraycopy(src, 0, dst, 0, Math.min(d, src.length));
            return dst;
        }
        int rows = (int) (src.length / (s[1] / twinDim * d));
        int slots = (int) (s[1] / twinDim);
        for (int i = 0; i < Math.min(rows, s[0]); i++) {
            for (int slot = 0; slot < slots; slot++) {
                System.arraycopy(src, i * slots * d + slot * d, dst, (int) (i * s[1] + (long) slot * twinDim), d);
            }
        }
        for (int i = 0; i < s[0]; i++) {
            for (int slot = 0; slot < slots; slot++) {
                for (int j = d; j < twinDim; j++) {
                    dst[(int) (i * s[1] + (long) slot * twinDim + j)] = (float) (r.nextGaussian() * 0.02);
                }
            }
        }
        return dst;
    }

    /**
     * The decoder layer {@code prefix.<…>} and {@code prefix.final_norm} inflated by {@link Inflation#inflate} (as a
     * one-layer model) for {@code twin}.
     */
    Map<String, float[]> inflateDecoder(String prefix, LlamaConfig twin, long seed) {
        LlamaConfig c = target;
        float[] emb = new float[c.vocabSize() * c.dim()];
        LlamaWeights one = decoderLayer(prefix, emb, null);
        Inflation.Shape shape = new Inflation.Shape(twin.dim(), twin.heads(), twin.kvHeads(), twin.headDim(),
                twin.hiddenDim(), 1);
        LlamaWeights big = Inflation.inflate(one, shape, seed);
        LlamaWeights.Layer l = big.layers().get(0);
        float[][] src = {l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm(), l.wGate(), l.wUp(), l.wDown()};
        Map<String, float[]> t = new LinkedHashMap<>();
        for (int i = 0; i < LAYER.size(); i++) {
            t.put(prefix + LAYER.get(i), src[i]);
        }
        t.put(prefix + "final_norm", big.finalNorm());
        return t;
    }

    /** Names of the tensors (in file order). */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }
}
