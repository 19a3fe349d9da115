package io.specdec.speculation;

import io.specdec.model.ForwardResult;
import io.specdec.model.TargetView;

/**
 * Runs the target over a draft tree in one forward and keeps the target's KV cache. The root of each tree is the
 * last emitted token, which is not in the cache yet; {@link #verify} writes it and every node ({@link RoundLayout}
 * says how), and {@link #commit} keeps the root plus the accepted path. Implementations:
 * {@code io.specdec.verify.TreeVerifier}. Owns native memory.
 */
public interface Verifier extends AutoCloseable {
    /**
     * Processes the prompt except its last token (which becomes the first root); returns the target's outputs for
     * those tokens (device arrays: the caller closes them), or null when there are none.
     */
    ForwardResult prefill(int[] promptWithoutLast, OutputRequest outputs);

    /**
     * One target forward over the layout's rows. Returns logits of every row plus what {@code outputs} asks for, as
     * device arrays the caller closes.
     */
    ForwardResult verify(RoundLayout layout, OutputRequest outputs);

    /** Keeps the root and the accepted nodes (in path order) of the last verified layout. */
    void commit(int[] acceptedNodes);

    /** Positions committed in the target cache. */
    int length();

    /** Positions the cache can still take (the next tree needs {@code 1 + size}). */
    int remaining();

    /** Target vocabulary size. */
    int vocabSize();

    /** The target's read-only parts, lent to drafters. */
    TargetView target();

    @Override
    void close();
}
