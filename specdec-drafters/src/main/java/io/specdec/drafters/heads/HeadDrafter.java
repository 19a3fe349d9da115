package io.specdec.drafters.heads;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardResult;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.OutputRequest;
import io.specdec.speculation.PromptContext;
import io.specdec.speculation.RoundResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What every head drafter shares: it asks the target for its last hidden state at every verified row and keeps the
 * target's feature of every position whose successor is known, {@code f_0 … f_{n-2}} for a sequence of n tokens (the
 * last token is the next round's root, not yet run by the target). Medusa and Hydra read {@code f_{n-2}} (the state
 * that predicted the root); EAGLE reads them all. Candidates are deterministic (point masses), so the verifier's
 * point-mass rule keeps sampling lossless (ALGORITHMS.md §0, §2). Every {@link HeadArchitecture}'s drafter extends
 * it. One instance per request; not thread-safe.
 */
public abstract class HeadDrafter implements Drafter {
    protected final CausalLM target;
    protected final List<float[]> features = new ArrayList<>();

    protected HeadDrafter(CausalLM target) {
        this.target = target;
    }

    @Override
    public final void begin(PromptContext p) {
        features.clear();
        ForwardResult out = p.promptOutputs();
        if (out != null) {
            float[] h = out.lastHidden();
            int d = target.config().dim();
            for (int r = 0; r < out.rows(); r++) {
                float[] f = new float[d];
                System.arraycopy(h, r * d, f, 0, d);
                features.add(f);
            }
        }
        onBegin(p);
    }

    /** Per-request set-up after the prompt's features are in. */
    protected void onBegin(PromptContext p) {}

    /**
     * Resets per-request state for a sequence of up to {@code capacity} positions outside a request (teacher-forced
     * evaluation and calibration, {@link HeadSizing}); default: nothing.
     */
    protected void reset(int capacity) {}

    @Override
    public OutputRequest targetOutputs() {
        return OutputRequest.LAST_HIDDEN;
    }

    @Override
    public int vocabSize() {
        return target.config().vocabSize();
    }

    @Override
    public final void observe(RoundResult r) {
        features.add(r.lastHiddenAt(-1));
        for (int i = 0; i < r.accepted(); i++) {
            features.add(r.lastHiddenAt(r.acceptedNode(i)));
        }
    }

    @Override
    public final DraftTree propose(DraftContext ctx) {
        if (ctx.length() < 2 || ctx.budget() < 1) {
            return DraftTree.empty();
        }
        // the features must cover every position but the root's; a request whose prompt is only BOS has none before
        // its first round (draft nothing); a lookahead (LLMCad's pipeline) runs past the target's features
        if (features.size() != ctx.length() - 1) {
            DraftTree ahead = features.size() < ctx.length() - 1 ? draftAhead(ctx) : null;
            return ahead == null ? DraftTree.empty() : ahead;
        }
        return draft(ctx);
    }

    /**
     * A proposal for a sequence that runs past the target's features ({@code features.size() < ctx.length() - 1}):
     * LLMCad's lookahead, drafted while the target verifies the last proposal, for the sequence it gives if accepted
     * whole. Null (default): none — the decoder then drafts after verification as usual.
     */
    protected DraftTree draftAhead(DraftContext ctx) {
        return null;
    }

    /** Proposes with {@link #features} covering positions {@code 0 .. ctx.length()-2}. */
    protected abstract DraftTree draft(DraftContext ctx);

    /**
     * The drafter's logits along a given path (teacher forcing, for calibration and tests): for the root at
     * {@code tokens[length-1]} and the true continuation {@code path}, row i ({@code [vocab]}) is the distribution
     * it would draft depth i+1 from after the first i path tokens were accepted. Needs the features of
     * {@code tokens[0 .. length-2]} in {@link #features} (as during a request).
     */
    protected abstract float[][] pathLogits(int[] tokens, int length, int[] path);

    /** Largest draft depth this drafter can produce. */
    protected abstract int maxDepth();
}
