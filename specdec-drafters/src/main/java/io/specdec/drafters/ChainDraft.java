package io.specdec.drafters;

import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftGate;
import io.specdec.speculation.DraftSignals;
import io.specdec.speculation.DraftTree;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * The token-by-token chain loop of the drafters that run one forward per drafted token (draft model, early exit, S2D's
 * nested exits): at each position the draft distribution {@code q} ({@link DraftContext#chainDistribution}), the token
 * ({@link DraftContext#pick}: the argmax for greedy requests, a draw from q otherwise), its signals, the decode loop's
 * stop rule ({@link DraftContext#gate()}) and the drafter's own, then one step of the drafter for the next position.
 * Stateless.
 */
public final class ChainDraft {
    private ChainDraft() {}

    /**
     * What the drafter knows at a position.
     *
     * @param logits {@code [V]}, predicting the next token
     * @param features the drafter's hidden state there for the signals (may be null)
     */
    public record Step(float[] logits, float[] features) {}

    /** One drafter step: {@code history[0, length)} is the sequence with the token just drafted last. */
    @FunctionalInterface
    public interface Advance {
        Step next(int[] history, int length);
    }

    /**
     * Drafts a chain of at most {@code depth} tokens after {@code ctx}'s sequence.
     *
     * @param first what the drafter knows after the sequence's last token
     * @param keep the drafter's own stop rule on a drafted token's signals (false: drop it and stop); null for none
     * @param advance the drafter's step after each kept token (not called after the last)
     */
    public static DraftTree draft(DraftContext ctx, int depth, Step first, Predicate<DraftSignals> keep,
            Advance advance) {
        int n = ctx.length();
        int[] hist = Arrays.copyOf(ctx.tokens(), n + depth);
        int[] toks = new int[depth];
        float[][] qs = new float[depth][];
        DraftSignals[] sig = new DraftSignals[depth];
        DraftGate.Chain gate = ctx.gate();
        Step st = first;
        int k = 0;
        while (k < depth) {
            float[] q = ctx.chainDistribution(st.logits(), hist, n + k);
            int x = ctx.pick(q);
            DraftSignals s = ctx.signals(st.logits(), q, hist, n + k, x, st.features());
            if ((keep != null && !keep.test(s)) || !gate.admit(x, s, !ctx.greedy())) {
                break;
            }
            toks[k] = x;
            qs[k] = ctx.stored(q);
            sig[k] = s;
            hist[n + k] = x;
            k++;
            if (k < depth) {
                st = advance.next(hist, n + k);
            }
        }
        return DraftTree.chain(Arrays.copyOf(toks, k), Arrays.copyOf(qs, k), Arrays.copyOf(sig, k));
    }
}
