package io.specdec.cli.testdrafter;

import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.PromptContext;
import java.util.Arrays;

/**
 * A drafter defined only in test code: it proposes the last {@code n} tokens of the sequence again (as a chain of
 * point masses). It exists to show that a drafter registered through the SPI reaches {@code generate}, {@code bench}
 * and the suite without any change to their code.
 */
final class RepeatLastDrafter implements Drafter {
    private final int vocab;
    private final int n;

    RepeatLastDrafter(int vocab, int n) {
        this.vocab = vocab;
        this.n = n;
    }

    @Override
    public void begin(PromptContext prompt) {}

    @Override
    public DraftTree propose(DraftContext ctx) {
        int k = Math.min(Math.min(n, ctx.budget()), ctx.length());
        int[] toks = Arrays.copyOfRange(ctx.tokens(), ctx.length() - k, ctx.length());
        return DraftTree.chain(toks, new float[k][]);
    }

    @Override
    public int vocabSize() {
        return vocab;
    }
}
