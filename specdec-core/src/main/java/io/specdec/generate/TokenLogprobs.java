package io.specdec.generate;

/**
 * The target model's log-probabilities at one generated position (as the OpenAI API's {@code logprobs}): the chosen
 * token's and the {@code top} most likely tokens', from the model's raw distribution (log-softmax of its logits at
 * temperature 1, before sampling settings), whichever decoder produced the token.
 *
 * @param logprob natural log of the chosen token's probability
 * @param topIds the most likely ids, most likely first
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprobs(float logprob, int[] topIds, float[] topLogprobs) {
    public TokenLogprobs {
        topIds = topIds.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topIds() {
        return topIds.clone();
    }

    @Override
    public float[] topLogprobs() {
        return topLogprobs.clone();
    }

    /** From a row of logits. */
    public static TokenLogprobs of(float[] logits, int chosen, int top) {
        double lse = io.specdec.sampling.TopK.logSumExp(logits);
        int[] ids = io.specdec.sampling.TopK.indices(logits, Math.min(top, logits.length));
        float[] lp = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            lp[i] = (float) (logits[ids[i]] - lse);
        }
        return new TokenLogprobs((float) (logits[chosen] - lse), ids, lp);
    }
}
