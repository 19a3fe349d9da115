package io.specdec.model;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.WeightTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The weights of a Llama-family model as the host backend computes on them: every matrix a {@link WeightTensor} in
 * its file's storage format (F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K, memory-mapped, {@code [out, in]}), norm weights and
 * biases as small float arrays, q/k rows in the file's {@link RopeLayout} (the host forward applies RoPE in either
 * layout, so nothing is permuted or copied). Loaders produce this; {@link LlamaWeights} is the widened float32 form
 * that training, inflation and the torch backend use.
 *
 * @param config the hyper-parameters the shapes follow
 * @param layout RoPE pairing of the q/k rows (and biases)
 * @param embedding {@code [vocab, dim]}
 * @param layers one entry per decoder layer
 * @param finalNorm {@code [dim]}
 * @param output LM head {@code [vocab, dim]}; {@code null} when tied to the embedding
 */
public record LlamaTensors(LlamaConfig config, RopeLayout layout, WeightTensor embedding, List<Layer> layers,
        float[] finalNorm, WeightTensor output) {

    /**
     * One decoder layer; matrices {@code [out, in]} as in {@link LlamaWeights.Layer}, biases null unless
     * {@link LlamaConfig#qkvBias()}.
     */
    public record Layer(float[] attnNorm, WeightTensor wq, WeightTensor wk, WeightTensor wv, WeightTensor wo,
            float[] ffnNorm, WeightTensor wGate, WeightTensor wUp, WeightTensor wDown, float[] bq, float[] bk,
            float[] bv) {}

    /** Checks every shape against the config; throws naming the tensor. */
    public LlamaTensors {
        LlamaConfig c = config;
        check(embedding, c.vocabSize(), c.dim());
        if (output != null) {
            check(output, c.vocabSize(), c.dim());
        }
        if (finalNorm.length != c.dim()) {
            throw new IllegalArgumentException("final norm has " + finalNorm.length + " values, expected " + c.dim());
        }
        if (layers.size() != c.layers()) {
            throw new IllegalArgumentException("expected " + c.layers() + " layers, found " + layers.size());
        }
        for (Layer l : layers) {
            check(l.wq, c.qDim(), c.dim());
            check(l.wk, c.kvDim(), c.dim());
            check(l.wv, c.kvDim(), c.dim());
            check(l.wo, c.dim(), c.qDim());
            check(l.wGate, c.hiddenDim(), c.dim());
            check(l.wUp, c.hiddenDim(), c.dim());
            check(l.wDown, c.dim(), c.hiddenDim());
        }
    }

    private static void check(WeightTensor t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' is [" + t.rows() + ", " + t.cols()
                    + "], expected [" + rows + ", " + cols + "] from the model config");
        }
    }

    /** The LM head: {@link #output} or, when tied, the embedding. */
    public WeightTensor lmHead() {
        return output != null ? output : embedding;
    }

    /** Bytes of every matrix as stored (the host backend's weight memory). */
    public long bytes() {
        long b = embedding.bytes() + (output == null ? 0 : output.bytes()) + 4L * finalNorm.length;
        for (Layer l : layers) {
            b += l.wq.bytes() + l.wk.bytes() + l.wv.bytes() + l.wo.bytes() + l.wGate.bytes() + l.wUp.bytes()
                    + l.wDown.bytes() + 8L * l.attnNorm.length;
        }
        return b;
    }

    /** The storage types of the matrices, for reports (e.g. {@code [Q4_0, Q6_K]}). */
    public List<GgmlType> types() {
        List<GgmlType> ts = new ArrayList<>();
        java.util.function.Consumer<WeightTensor> add = t -> {
            if (!ts.contains(t.type())) {
                ts.add(t.type());
            }
        };
        add.accept(embedding);
        for (Layer l : layers) {
            for (WeightTensor t : List.of(l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown)) {
                add.accept(t);
            }
        }
        if (output != null) {
            add.accept(output);
        }
        return ts;
    }

    /**
     * F32 tensors holding copies of {@code w} (in direct buffers, off the heap): models built in memory (tests,
     * twins, drafts being trained) run on the same host forward as loaded files.
     */
    public static LlamaTensors of(LlamaWeights w) {
        LlamaConfig c = w.config();
        int d = c.dim();
        List<Layer> ls = new ArrayList<>();
        int i = 0;
        for (LlamaWeights.Layer l : w.layers()) {
            String p = "blk." + i++ + ".";
            ls.add(new Layer(l.attnNorm(), WeightTensor.ofFloats(p + "attn_q", l.wq(), c.qDim(), d),
                    WeightTensor.ofFloats(p + "attn_k", l.wk(), c.kvDim(), d),
                    WeightTensor.ofFloats(p + "attn_v", l.wv(), c.kvDim(), d),
                    WeightTensor.ofFloats(p + "attn_output", l.wo(), d, c.qDim()), l.ffnNorm(),
                    WeightTensor.ofFloats(p + "ffn_gate", l.wGate(), c.hiddenDim(), d),
                    WeightTensor.ofFloats(p + "ffn_up", l.wUp(), c.hiddenDim(), d),
                    WeightTensor.ofFloats(p + "ffn_down", l.wDown(), d, c.hiddenDim()), l.bq(), l.bk(), l.bv()));
        }
        return new LlamaTensors(c, w.layout(), WeightTensor.ofFloats("token_embd", w.embedding(), c.vocabSize(), d),
                ls, w.finalNorm(), w.output() == null ? null
                        : WeightTensor.ofFloats("output", w.output(), c.vocabSize(), d));
    }
}
