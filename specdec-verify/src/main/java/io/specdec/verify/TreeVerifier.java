package io.specdec.verify;

import io.specdec.model.AttentionMask;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.spec.DraftTree;
import io.specdec.spec.Verifier;
import io.specdec.spec.VerifierFactory;

/**
 * Tree attention verification (SpecInfer; Medusa {@code generate_medusa_buffers} / {@code tree_decoding}): the root
 * (last emitted token) and the draft nodes are flattened in topological order, positions are
 * {@code prefix + depth}, each token attends to the committed prefix plus its ancestors and itself, and one target
 * forward yields logits at every node. {@link #commit} gathers the root and the accepted path into contiguous cache
 * slots ({@link KvCache#commit}). Chains take the same path (their tree mask is the causal mask). Owns the target
 * cache; not thread-safe.
 */
public final class TreeVerifier implements Verifier {
    private final CausalLM target;
    private final KvCache cache;
    private int lastPrefix = -1;
    private int lastSize;

    public TreeVerifier(CausalLM target, int capacity) {
        this.target = target;
        this.cache = target.newCache(capacity);
    }

    /** Verifiers over {@code target}, one cache per request. */
    public static VerifierFactory factory(CausalLM target) {
        return new VerifierFactory() {
            @Override
            public io.specdec.spec.Verifier create(int capacity) {
                return new TreeVerifier(target, capacity);
            }

            @Override
            public int contextLength() {
                return target.config().contextLength();
            }
        };
    }

    @Override
    public void prefill(int[] promptWithoutLast) {
        if (promptWithoutLast.length > 0) {
            target.forward(cache, promptWithoutLast, ForwardOptions.LAST_ROW);
        }
    }

    @Override
    public ForwardResult verify(int root, DraftTree tree, int[] hiddenLayers) {
        int n = tree.size();
        if (1 + n > cache.remaining()) {
            throw new IllegalArgumentException("tree of " + n + " nodes does not fit: " + cache.remaining()
                    + " cache slots left");
        }
        int prefix = cache.length();
        int[] tokens = new int[1 + n];
        int[] positions = new int[1 + n];
        int[] parents = new int[1 + n];
        tokens[0] = root;
        positions[0] = prefix;
        parents[0] = -1;
        for (int j = 0; j < n; j++) {
            tokens[1 + j] = tree.token(j);
            positions[1 + j] = prefix + tree.depth(j);
            parents[1 + j] = tree.parent(j) + 1; // root is index 0
        }
        AttentionMask mask = tree.isChain() ? null : AttentionMask.tree(parents);
        ForwardResult r = target.forward(cache, tokens, positions, mask,
                ForwardOptions.DEFAULT.withHiddenLayers(hiddenLayers));
        lastPrefix = prefix;
        lastSize = 1 + n;
        return r;
    }

    @Override
    public void commit(int[] acceptedNodes) {
        if (lastPrefix < 0) {
            throw new IllegalStateException("commit without a verified tree");
        }
        int[] keep = new int[1 + acceptedNodes.length];
        for (int i = 0; i < acceptedNodes.length; i++) {
            if (acceptedNodes[i] < 0 || acceptedNodes[i] + 1 >= lastSize) {
                throw new IllegalArgumentException("accepted node " + acceptedNodes[i] + " is not in the tree");
            }
            keep[1 + i] = acceptedNodes[i] + 1;
        }
        cache.commit(lastPrefix, keep);
        lastPrefix = -1;
    }

    @Override
    public int length() {
        return cache.length();
    }

    @Override
    public int remaining() {
        return cache.remaining();
    }

    @Override
    public int vocabSize() {
        return target.config().vocabSize();
    }

    /** The target cache (tests compare it with sequential decoding). */
    public KvCache cache() {
        return cache;
    }

    @Override
    public void close() {
        cache.close();
    }
}
