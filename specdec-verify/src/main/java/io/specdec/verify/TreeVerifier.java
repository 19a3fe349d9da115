package io.specdec.verify;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.TargetView;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.OutputRequest;
import io.specdec.speculation.RoundLayout;
import io.specdec.speculation.Verifier;
import io.specdec.speculation.VerifierFactory;

/**
 * Tree attention verification (SpecInfer; Medusa {@code generate_medusa_buffers} / {@code tree_decoding}): one
 * target forward over the rows of a {@link RoundLayout} (root and draft nodes in topological order, positions
 * {@code prefix + depth}, each row attending to the committed prefix plus its ancestors and itself) yields logits at
 * every node; {@link #commit} gathers the root and the accepted path into contiguous cache slots
 * ({@link KvCache#commit}). Chains take the same path (their tree mask is the causal mask). Outputs stay on the
 * device until read ({@link ForwardResult}). Owns the target cache; not thread-safe.
 */
public final class TreeVerifier implements Verifier {
    private final CausalLM target;
    private final KvCache cache;
    private RoundLayout last;

    public TreeVerifier(CausalLM target, int capacity) {
        this.target = target;
        this.cache = target.newCache(capacity);
    }

    /** Verifiers over {@code target}, one cache per request, with the lossless policies of this module. */
    public static VerifierFactory factory(CausalLM target) {
        return new VerifierFactory() {
            @Override
            public Verifier create(int capacity) {
                return new TreeVerifier(target, capacity);
            }

            @Override
            public int contextLength() {
                return target.config().contextLength();
            }

            @Override
            public TargetView target() {
                return target;
            }

            @Override
            public AcceptancePolicy losslessPolicy(SamplingConfig sampling) {
                return Speculation.losslessPolicy(sampling);
            }
        };
    }

    @Override
    public ForwardResult prefill(int[] promptWithoutLast, OutputRequest outputs) {
        if (promptWithoutLast.length == 0) {
            return null;
        }
        return target.forward(cache, promptWithoutLast, outputs.forwardOptions());
    }

    @Override
    public ForwardResult verify(RoundLayout layout, OutputRequest outputs) {
        int rows = layout.rows();
        if (rows > cache.remaining()) {
            throw new IllegalArgumentException("tree of " + layout.tree().size() + " nodes does not fit: "
                    + cache.remaining() + " cache slots left");
        }
        if (layout.prefix() != cache.length()) {
            throw new IllegalArgumentException("layout starts at position " + layout.prefix() + " but the cache holds "
                    + cache.length());
        }
        ForwardResult r = target.forward(cache, layout.tokens(), layout.positions(), layout.mask(),
                outputs.forwardOptions());
        last = layout;
        return r;
    }

    @Override
    public void commit(int[] acceptedNodes) {
        if (last == null) {
            throw new IllegalStateException("commit without a verified tree");
        }
        cache.commit(last.prefix(), last.keptRows(acceptedNodes));
        last = null;
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

    @Override
    public TargetView target() {
        return target;
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
