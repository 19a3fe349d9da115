package io.specdec.drafters.lookup;

import io.specdec.drafters.TreeBuilder;
import io.specdec.spec.DraftContext;
import io.specdec.spec.DraftTree;
import io.specdec.spec.Drafter;
import io.specdec.spec.DrafterFactory;
import java.util.Arrays;

/**
 * Prompt lookup / n-gram drafting (Saxena 2023; Hugging Face {@code prompt_lookup_num_tokens}, vLLM {@code ngram}):
 * match the last n tokens of the sequence (prompt and generated text), for n from {@code maxNgram} down to
 * {@code minNgram}, against earlier text, and propose the tokens that followed the match. As in Hugging Face's
 * {@code _find_candidate_pred_tokens}, the largest n with a match wins and matches are taken leftmost first; a chain
 * uses the first match with a non-empty continuation; with {@code maxMatches > 1} the continuations of up to that many
 * matches (same n) are merged into a deduplicated tree. Defaults: n from 3 down to 1, 10 tokens per continuation
 * (HF's {@code prompt_lookup_num_tokens}), one match. Candidates are deterministic (point masses). Stateless.
 */
public final class PromptLookupDrafter implements Drafter {
    private final int vocab;
    private final int maxNgram;
    private final int minNgram;
    private final int numTokens;
    private final int maxMatches;

    private PromptLookupDrafter(int vocab, int maxNgram, int minNgram, int numTokens, int maxMatches) {
        this.vocab = vocab;
        this.maxNgram = maxNgram;
        this.minNgram = minNgram;
        this.numTokens = numTokens;
        this.maxMatches = maxMatches;
    }

    /**
     * @param vocab the target's vocabulary size
     * @param maxNgram longest n-gram matched (default 3)
     * @param minNgram shortest (default 1)
     * @param numTokens tokens proposed per match (default 10; the round's budget caps it)
     * @param maxMatches matches merged into the tree (1 = chain)
     */
    public static DrafterFactory factory(int vocab, int maxNgram, int minNgram, int numTokens, int maxMatches) {
        if (minNgram < 1 || maxNgram < minNgram || numTokens < 1 || maxMatches < 1) {
            throw new IllegalArgumentException("need 1 <= minNgram <= maxNgram, numTokens >= 1, maxMatches >= 1");
        }
        return () -> new PromptLookupDrafter(vocab, maxNgram, minNgram, numTokens, maxMatches);
    }

    /** Defaults: n-grams 3..1, 10 tokens, chain. */
    public static DrafterFactory factory(int vocab) {
        return factory(vocab, 3, 1, 10, 1);
    }

    @Override
    public void begin(int[] prompt) {}

    @Override
    public DraftTree propose(DraftContext ctx) {
        int[] seq = ctx.tokens();
        int len = ctx.length();
        int take = Math.min(numTokens, ctx.budget());
        TreeBuilder tree = new TreeBuilder(ctx.budget());
        for (int n = Math.min(maxNgram, len - 1); n >= minNgram; n--) {
            int found = 0;
            // windows [i, i+n) that end before the last n-gram itself
            for (int i = 0; i + n < len && found < maxMatches && !tree.full(); i++) {
                if (Arrays.equals(seq, i, i + n, seq, len - n, len)) {
                    int from = i + n;
                    int to = Math.min(from + take, len);
                    if (to > from) {
                        tree.addPath(Arrays.copyOfRange(seq, from, to));
                        found++;
                    }
                }
            }
            if (found > 0) {
                break;
            }
        }
        return tree.build();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }
}
