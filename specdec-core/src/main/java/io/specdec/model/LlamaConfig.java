package io.specdec.model;

/**
 * Hyper-parameters of a Llama-family decoder (Llama 1/2/3, TinyLlama, Qwen2 with q/k/v bias).
 *
 * @param dim residual width (hidden_size)
 * @param hiddenDim SwiGLU inner width (intermediate_size)
 * @param layers number of decoder layers
 * @param heads attention (query) heads
 * @param kvHeads key/value heads (GQA when fewer than {@code heads}; must divide {@code heads})
 * @param headDim width of one head (usually {@code dim / heads}; must be even for RoPE)
 * @param vocabSize rows of the embedding and the LM head
 * @param contextLength maximum positions the model accepts (cache capacity upper bound)
 * @param rmsEps RMSNorm epsilon
 * @param ropeTheta RoPE base frequency (10000 for Llama 2, 500000 for Llama 3)
 * @param tiedEmbeddings true when the LM head reuses the token embedding
 * @param qkvBias true when q/k/v projections carry a bias (Qwen2)
 * @param bosId beginning-of-sequence token id (-1 if none)
 * @param eosId end-of-sequence token id (-1 if none)
 * @param ropeScaling how RoPE is stretched beyond the training context ({@link RopeScaling#NONE} if not)
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        float ropeTheta,
        boolean tiedEmbeddings,
        boolean qkvBias,
        int bosId,
        int eosId,
        RopeScaling ropeScaling) {

    /** A config without RoPE scaling. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int headDim, int vocabSize,
            int contextLength, float rmsEps, float ropeTheta, boolean tiedEmbeddings, boolean qkvBias, int bosId,
            int eosId) {
        this(dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, contextLength, rmsEps, ropeTheta,
                tiedEmbeddings, qkvBias, bosId, eosId, RopeScaling.NONE);
    }

    /** Checks that the numbers describe a buildable model; throws naming the offending field. */
    public LlamaConfig {
        require(dim > 0 && dim <= 1 << 16, "dim", dim);
        require(hiddenDim > 0 && hiddenDim <= 1 << 18, "hiddenDim", hiddenDim);
        require(layers > 0 && layers <= 1024, "layers", layers);
        require(heads > 0 && heads <= 1024, "heads", heads);
        require(kvHeads > 0 && kvHeads <= heads && heads % kvHeads == 0, "kvHeads (must divide heads=" + heads + ")",
                kvHeads);
        require(headDim > 0 && headDim % 2 == 0 && headDim <= 1024, "headDim (must be even)", headDim);
        require(vocabSize > 0 && vocabSize <= 1 << 22, "vocabSize", vocabSize);
        require(contextLength > 0 && contextLength <= 1 << 22, "contextLength", contextLength);
        require(rmsEps > 0 && rmsEps < 1, "rmsEps", rmsEps);
        require(ropeTheta > 0, "ropeTheta", ropeTheta);
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + field + " = " + value);
        }
    }

    /** Query projection width {@code heads * headDim}. */
    public int qDim() {
        return heads * headDim;
    }

    /** Key/value projection width {@code kvHeads * headDim}. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Number of weight parameters (embedding and LM head counted once if tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * qDim() * 2 + (long) dim * kvDim() * 2 + 3L * dim * hiddenDim
                + (qkvBias ? qDim() + 2L * kvDim() : 0);
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + perLayer * layers;
    }

    /** A copy with another context length (e.g. to cap a 128K-context model's cache). */
    public LlamaConfig withContextLength(int n) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, n, rmsEps, ropeTheta,
                tiedEmbeddings, qkvBias, bosId, eosId, ropeScaling);
    }

    /** A copy with another RoPE scaling. */
    public LlamaConfig withRopeScaling(RopeScaling r) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, contextLength, rmsEps,
                ropeTheta, tiedEmbeddings, qkvBias, bosId, eosId, r);
    }

    /** A copy with another number of decoder layers (an exit of a nested draft). */
    public LlamaConfig withLayers(int n) {
        return new LlamaConfig(dim, hiddenDim, n, heads, kvHeads, headDim, vocabSize, contextLength, rmsEps, ropeTheta,
                tiedEmbeddings, qkvBias, bosId, eosId, ropeScaling);
    }
}
