package io.specdec.drafters.recycling;

import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.RoundResult;
import java.util.Arrays;

/**
 * Token Recycling (Luo et al. 2024, "Turning Trash into Treasure"; reference: Luowaterbi/TokenRecycling
 * {@code inference_recycling.py}): a training-free drafter that recycles the target's own candidate tokens. The draft
 * tree follows a static {@link TreeTemplate}: the node with rank r under a node with token t gets
 * {@code M[t][r]} from the {@link AdjacencyMatrix}; nodes whose entry is empty are dropped with their subtrees, and
 * the budget takes the first nodes in template (priority) order. After every verification, for <b>every</b> verified
 * node j — the root and all tree nodes, not only the accepted ones — {@code M[token(j)] ← topk(target logits at j, k)}.
 *
 * <p>Candidates are deterministic, so the tree is verified with the point-mass rule: lossless for greedy (as in the
 * reference, which is greedy only) and for sampling (our addition). The matrix is shared by all requests of a factory.
 */
public final class TokenRecyclingDrafter implements Drafter {
    private final AdjacencyMatrix matrix;
    private final TreeTemplate template;

    private TokenRecyclingDrafter(AdjacencyMatrix matrix, TreeTemplate template) {
        this.matrix = matrix;
        this.template = template;
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link DrafterFactory} whose drafters share one matrix. */
    public static final class Builder {
        private AdjacencyMatrix matrix;
        private int vocab;
        private TreeTemplate template = TreeTemplate.paper();

        /** A shared (possibly warm or loaded) matrix; it must keep at least {@code template.width()} candidates. */
        public Builder setMatrix(AdjacencyMatrix m) {
            this.matrix = m;
            return this;
        }

        /** Or: a fresh matrix for the target's vocabulary of {@code vocab} tokens (sized to the template). */
        public Builder setVocabSize(int vocab) {
            this.vocab = vocab;
            return this;
        }

        /** The static tree; default {@link TreeTemplate#paper()} (80 nodes, depth 6). */
        public Builder optTemplate(TreeTemplate t) {
            this.template = java.util.Objects.requireNonNull(t, "template");
            return this;
        }

        public DrafterFactory build() {
            AdjacencyMatrix m = matrix;
            if (m == null) {
                if (vocab < 1) {
                    throw new IllegalArgumentException("Token Recycling needs setMatrix or setVocabSize");
                }
                m = new AdjacencyMatrix(vocab, Math.max(8, template.width()));
            }
            if (template.width() > m.k()) {
                throw new IllegalArgumentException("template needs " + template.width() + " candidates per row, the"
                        + " matrix keeps " + m.k());
            }
            AdjacencyMatrix shared = m;
            TreeTemplate t = template;
            return () -> new TokenRecyclingDrafter(shared, t);
        }
    }

    @Override
    public void begin(io.specdec.speculation.PromptContext p) {}

    @Override
    public DraftTree propose(DraftContext ctx) {
        int n = Math.min(ctx.budget(), template.size());
        int[] tokens = new int[n];
        int[] parents = new int[n];
        int[] map = new int[n]; // template index → tree index, -1 if dropped
        int size = 0;
        int root = ctx.lastToken();
        for (int i = 0; i < n; i++) {
            int tp = template.parent(i);
            int parentTree = tp < 0 ? -1 : map[tp];
            if (tp >= 0 && parentTree < 0) {
                map[i] = -1;
                continue;
            }
            int parentToken = parentTree < 0 ? root : tokens[parentTree];
            int tok = matrix.get(parentToken, template.rank(i));
            if (tok < 0) {
                map[i] = -1;
                continue;
            }
            tokens[size] = tok;
            parents[size] = parentTree;
            map[i] = size++;
        }
        return new DraftTree(Arrays.copyOf(tokens, size), Arrays.copyOf(parents, size), new float[size][]);
    }

    @Override
    public void observe(RoundResult r) {
        int v = r.outputs().vocab();
        float[] logits = r.outputs().logits();
        for (int j = -1; j < r.tree().size(); j++) {
            matrix.update(r.tokenAt(j), logits, r.layout().logitsOffset(j, v));
        }
    }

    @Override
    public int vocabSize() {
        return matrix.vocabSize();
    }
}
