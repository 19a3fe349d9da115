package io.specdec.speculation;

import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Walks a verified draft tree and decides what to emit: the accepted path plus one corrected or bonus token.
 * Lossless policies (greedy, rejection sampling) emit tokens distributed exactly as the target's; lossy ones say so
 * in {@link #isLossless()}. Implementations are stateless and thread-safe.
 */
public interface AcceptancePolicy {
    /**
     * @param tree the candidates
     * @param p target distribution after the request's processors: {@code p.apply(-1)} at the root,
     *     {@code p.apply(j)} at node j (computed lazily: only visited nodes are asked for)
     * @param rng the request's RNG
     */
    Acceptance walk(DraftTree tree, IntFunction<float[]> p, SplittableRandom rng);

    /**
     * The same walk for policies that look only at the argmax of each visited target distribution (greedy
     * acceptance): {@code argmax.applyAsInt(-1)} at the root, {@code argmax.applyAsInt(j)} at node j. The decoder
     * then brings only argmax ids to the host, not logit rows. Returns null (the default) when the policy needs the
     * distributions; the decoder then calls {@link #walk}.
     */
    default Acceptance walkArgmax(DraftTree tree, java.util.function.IntUnaryOperator argmax) {
        return null;
    }

    /**
     * What the policy needs from the verify forward besides logits (default: logits only). A policy that asks for
     * the last hidden state is walked with {@link #walk(DraftTree, IntFunction, IntFunction, SplittableRandom)}.
     */
    default OutputRequest targetOutputs() {
        return OutputRequest.LOGITS;
    }

    /**
     * The walk for policies that read the target's final-norm hidden state of a node's own row ({@code hidden.apply(j)}:
     * the target's state after reading node j's token in context, computed by the verify forward anyway). Default:
     * {@link #walk(DraftTree, IntFunction, SplittableRandom)}.
     */
    default Acceptance walk(DraftTree tree, IntFunction<float[]> p, IntFunction<float[]> hidden, SplittableRandom rng) {
        return walk(tree, p, rng);
    }

    /**
     * A lossy rule that also decides where drafting stops (R2R's router): the decoder then uses this as the request's
     * stop rule instead of its controller, with chains of at most {@code maxDraft} tokens. Default null: the
     * controller decides.
     */
    default CandidateLengthController stopRule(int maxDraft) {
        return null;
    }

    /** False for policies that change the output distribution (typical acceptance). */
    boolean isLossless();

    /**
     * Whether this policy keeps requests sampled with {@code sampling} exact (lossless policies) or applies to them
     * at all (lossy ones). Default true; greedy acceptance supports only greedy requests.
     */
    default boolean supports(io.specdec.sampling.SamplingConfig sampling) {
        return true;
    }

    /** Name for reports. */
    String name();

    /**
     * @param acceptedNodes the accepted path (node indices)
     * @param nextToken the corrected token (at the first rejection) or the bonus token (after a leaf)
     */
    record Acceptance(int[] acceptedNodes, int nextToken) {}
}
