package io.specdec.drafters;

import io.specdec.model.KvCache;
import java.util.Arrays;

/**
 * Which tokens a drafter's own KV cache holds, so that each round it feeds only what is new: the cache is cut back to
 * the longest common prefix with the current sequence (always leaving the root, whose logits the drafter needs, to be
 * recomputed). Shared by the draft-model and early-exit drafters. Not thread-safe.
 */
public final class CachedSequence {
    private int[] seen = new int[256];

    /**
     * Truncates {@code cache} to the longest prefix of {@code tokens[0, length)} it already holds, at most
     * {@code length - 1}, and returns that length: the caller feeds {@code tokens[result, length)}.
     */
    public int sync(KvCache cache, int[] tokens, int length) {
        int lcp = 0;
        int have = cache.length();
        while (lcp < have && lcp < length && seen[lcp] == tokens[lcp]) {
            lcp++;
        }
        lcp = Math.min(lcp, length - 1);
        cache.truncate(lcp);
        return lcp;
    }

    /** Records that {@code tokens[from, to)} now occupy cache slots {@code [from, to)}. */
    public void record(int[] tokens, int from, int to) {
        if (to > seen.length) {
            seen = Arrays.copyOf(seen, Math.max(to, seen.length * 2));
        }
        System.arraycopy(tokens, from, seen, from, to - from);
    }
}
