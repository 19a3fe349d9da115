package io.specdec.drafters.lookup;

import io.specdec.drafters.TreeBuilder;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
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

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a (stateless) {@link DrafterFactory}. */
    public static final class Builder {
        private int vocab;
        private int maxNgram = 3;
        private int minNgram = 1;
        private int numTokens = 10;
        private int maxMatches = 1;

        /** The target's vocabulary size (required). */
        public Builder setVocabSize(int v) {
            this.vocab = v;
            return this;
        }

        /** Longest n-gram matched; default 3. */
        public Builder optMaxNgram(int n) {
            this.maxNgram = n;
            return this;
        }

        /** Shortest n-gram matched; default 1. */
        public Builder optMinNgram(int n) {
            this.minNgram = n;
            return this;
        }

        /** Tokens proposed per match; default 10 (the round's budget caps it). */
        public Builder optNumTokens(int n) {
            this.numTokens = n;
            return this;
        }

        /** Matches merged into a tree; default 1 (a chain). */
        public Builder optMaxMatches(int n) {
            this.maxMatches = n;
            return this;
        }

        public DrafterFactory build() {
            if (vocab < 1) {
                throw new IllegalArgumentException("prompt lookup needs the vocabulary size (setVocabSize)");
            }
            if (minNgram < 1 || maxNgram < minNgram || numTokens < 1 || maxMatches < 1) {
                throw new IllegalArgumentException("prompt lookup needs 1 <= min n-gram <= max n-gram, tokens >= 1,"
                        + " matches >= 1; found n-gram " + minNgram + ".." + maxNgram + ", tokens " + numTokens
                        + ", matches " + maxMatches);
            }
            int v = vocab;
            int max = maxNgram;
            int min = minNgram;
            int tokens = numTokens;
            int matches = maxMatches;
            return () -> new PromptLookupDrafter(v, max, min, tokens, matches);
        }
    }

    @Override
    public void begin(io.specdec.speculation.PromptContext p) {}

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
