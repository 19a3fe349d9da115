package io.specdec.speculation;

import io.specdec.model.ForwardResult;
import io.specdec.model.TargetView;
import io.specdec.sampling.SamplingConfig;

/**
 * What a drafter sees when a request starts ({@link Drafter#begin}).
 *
 * @param prompt the prompt ids (BOS included); the last one is the first round's root
 * @param promptOutputs the target's outputs for {@code prompt[0 .. n-2]} (row i = prompt token i), with what
 *     {@link Drafter#targetOutputs()} asked for; null when the prompt is a single token. Valid only during
 *     {@code begin}: copy what must outlive it
 * @param target the target's read-only parts (embedding, final norm, LM head)
 * @param capacity positions this request may use (prompt + new tokens + draft headroom); a drafter with its own
 *     cache sizes it from this
 * @param sampling the request's sampling config
 */
public record PromptContext(int[] prompt, ForwardResult promptOutputs, TargetView target, int capacity,
        SamplingConfig sampling) {
    public PromptContext {
        prompt = prompt.clone();
    }

    /** A copy of the prompt ids. */
    @Override
    public int[] prompt() {
        return prompt.clone();
    }
}
