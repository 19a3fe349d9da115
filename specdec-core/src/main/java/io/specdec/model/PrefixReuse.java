package io.specdec.model;

import java.util.Arrays;

/**
 * A target model that keeps one sequence's KV cache between requests and, when the next request's prompt starts with
 * tokens already in it, runs only the new suffix — what a conversation needs, where every turn's prompt is the
 * previous turn's prompt and reply plus a new message (llama.cpp's {@code cache_prompt}, vLLM's prefix caching for
 * one sequence). Wraps a {@link CausalLM}; every other call is passed through.
 *
 * <p>The first {@link #newCache} of a request gets the retained cache (emptied in appearance); the request's first
 * forward on it — the prefill, causal from position 0 — reuses the longest common prefix of its tokens and
 * {@link #remember(int[]) remembered} ids (at most all but one token, so the forward yields the last row), restores
 * those positions and runs the rest. A prefill that asks for hidden states or an early exit runs whole (drafters that
 * read every prompt row need them all); a logits-only prefill returns rows for the tokens it ran. Other caches
 * ({@code newCache} while the retained one is in use) are ordinary. Not thread-safe: one conversation, one request at
 * a time. {@link #close()} frees the retained cache, not the wrapped model.
 */
public final class PrefixReuse extends CausalLMView {
    private final int minCapacity;
    private KvCache cache;
    private int[] contents = new int[0];
    private boolean inUse;
    private boolean prefillPending;
    private int lastReused;
    private int lastComputed;

    /**
     * @param model the target
     * @param minCapacity the retained cache's capacity at least (a conversation grows; at most the context length)
     */
    public PrefixReuse(CausalLM model, int minCapacity) {
        super(model);
        this.minCapacity = Math.min(inner.config().contextLength(), Math.max(1, minCapacity));
    }

    @Override
    public KvCache newCache(int capacity) {
        if (inUse) {
            return inner.newCache(capacity);
        }
        if (cache == null || cache.capacity() < capacity) {
            free();
            cache = inner.newCache(Math.max(capacity, minCapacity));
            cache.pin(true);
            contents = new int[0];
        }
        cache.truncate(0);
        inUse = true;
        prefillPending = true;
        return cache;
    }

    @Override
    public ForwardResult forward(KvCache c, int[] tokens, int[] positions, AttentionMask mask, ForwardOptions options) {
        if (c != cache || !prefillPending) {
            return inner.forward(c, tokens, positions, mask, options);
        }
        prefillPending = false;
        boolean plain = mask == null && options.exitLayer() < 0 && !options.lastHidden()
                && options.hiddenLayers().length == 0 && c.length() == 0 && startsAtZero(positions);
        int k = 0;
        if (plain) {
            int max = Math.min(tokens.length - 1, contents.length);
            while (k < max && tokens[k] == contents[k]) {
                k++;
            }
        }
        lastReused = k;
        lastComputed = tokens.length - k;
        if (k == 0) {
            return inner.forward(c, tokens, positions, mask, options);
        }
        c.restore(k);
        return inner.forward(c, Arrays.copyOfRange(tokens, k, tokens.length),
                Arrays.copyOfRange(positions, k, positions.length), null, options);
    }

    private static boolean startsAtZero(int[] positions) {
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] != i) {
                return false;
            }
        }
        return true;
    }

    /**
     * Ends a request: {@code sequence} is what it worked on (prompt and generated ids, in order); the cache's first
     * {@code min(cache length, sequence length)} positions hold exactly those tokens and are kept for the next request.
     */
    public void remember(int[] sequence) {
        inUse = false;
        prefillPending = false;
        if (cache != null) {
            contents = Arrays.copyOf(sequence, Math.min(sequence.length, cache.length()));
        }
    }

    /** Forgets the retained tokens (the cache stays allocated). */
    public void reset() {
        contents = new int[0];
        inUse = false;
    }

    /** Prompt positions the last request took from the retained cache. */
    public int lastReused() {
        return lastReused;
    }

    /** Prompt positions the last request's prefill computed. */
    public int lastComputed() {
        return lastComputed;
    }

    /** Bytes of the retained cache (0 if none). */
    public long retainedBytes() {
        return cache == null ? 0 : cache.bytes();
    }

    private void free() {
        if (cache != null) {
            cache.pin(false);
            cache.close();
            cache = null;
        }
    }

    /** Frees the retained cache; the wrapped model stays open. */
    @Override
    public void close() {
        free();
        contents = new int[0];
    }
}
