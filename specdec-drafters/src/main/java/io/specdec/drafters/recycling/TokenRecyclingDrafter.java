package io.specdec.drafters.recycling;

import io.specdec.spec.DraftContext;
import io.specdec.spec.DraftTree;
import io.specdec.spec.Drafter;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.RoundResult;
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

    /** Drafters sharing {@code matrix} (which must keep at least {@code template.width()} candidates per row). */
    public static DrafterFactory factory(AdjacencyMatrix matrix, TreeTemplate template) {
        if (template.width() > matrix.k()) {
            throw new IllegalArgumentException("template needs " + template.width() + " candidates per row, the"
                    + " matrix keeps " + matrix.k());
        }
        return () -> new TokenRecyclingDrafter(matrix, template);
    }

    @Override
    public void begin(int[] prompt) {}

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
        int v = r.vocab();
        for (int j = -1; j < r.tree().size(); j++) {
            matrix.update(r.tokenAt(j), r.targetLogits(), (j + 1) * v);
        }
    }

    @Override
    public int vocabSize() {
        return matrix.vocabSize();
    }
}
