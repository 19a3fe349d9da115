package io.specdec.model;

/**
 * A decoder-only language model that runs T new tokens against a {@link KvCache} and returns logits for every one
 * of them (a verifier needs all rows); it lends drafters its read-only parts through {@link TargetView}.
 * Implementations own native weights: close them. A model may be shared by several threads only if each uses its own cache and calls are serialised per cache; the implementation in this
 * library ({@link LlamaModel}) is safe for concurrent forwards on different caches.
 */
public interface CausalLM extends TargetView, AutoCloseable {
    /** A new empty cache able to hold {@code capacity} positions (at most the context length). */
    KvCache newCache(int capacity);

    /**
     * Runs {@code tokens} (T of them) at RoPE {@code positions}, attending to the cache's committed prefix and, among
     * themselves, as {@code mask} says (null = causal). Their K/V are written to cache slots
     * {@code [length, length+T)} and the cache length grows by T.
     *
     * @throws IllegalArgumentException if the cache cannot hold T more tokens or a position exceeds the context
     */
    ForwardResult forward(KvCache cache, int[] tokens, int[] positions, AttentionMask mask, ForwardOptions options);

    /** Causal forward of {@code tokens} at positions {@code cache.length()...}. */
    default ForwardResult forward(KvCache cache, int[] tokens, ForwardOptions options) {
        int[] pos = new int[tokens.length];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = cache.length() + i;
        }
        return forward(cache, tokens, pos, null, options);
    }

    /**
     * The kernel running the forwards, for reports and cache keys (measured costs differ by kernel); default
     * {@code torch}. {@link LlamaModel} says {@code torch} or {@code vector} ({@link Kernels}).
     */
    default String kernel() {
        return "torch";
    }

    /**
     * What besides the config decides a forward's cost, for cost-curve cache keys: the kernel, and for
     * {@link LlamaModel} the host threads and the weights' storage types (a Q4_0 and a Q8_0 file of one shape cost
     * differently). Default {@link #kernel()}.
     */
    default String costKey() {
        return kernel();
    }

    @Override
    void close();
}
