package io.specdec.drafters.heads;

import io.specdec.drafters.DynamicTree;
import io.specdec.model.CausalLM;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import java.util.List;

/**
 * A head drafter that grows the library's dynamic tree ({@link DynamicTree}, EAGLE-2): subclasses supply the root
 * distribution and the batched expansion of a level; the tree, its budget and the signals are the strategy's. One
 * instance per request; not thread-safe.
 *
 * @param <S> what the drafter keeps per node (a feature, a cache row, a recurrent state)
 */
public abstract class DynamicTreeDrafter<S> extends HeadDrafter {
    private final DynamicTree<S> tree;

    /** @param shape depth, top-k and budget of the tree */
    protected DynamicTreeDrafter(CausalLM target, HeadArchitecture.HeadTree shape) {
        super(target);
        this.tree = new DynamicTree<>(shape.depth(), shape.topK(), shape.budget());
    }

    /** The depth-1 distribution for the root {@code tokens[length-1]} (raw logits, {@code [vocab]}). */
    protected abstract float[] rootLogits(int[] tokens, int length);

    /** Logits of the children of every frontier node (all of one depth), one row per node. */
    protected abstract float[][] expand(List<DynamicTree.Node<S>> frontier, int[] tokens, int length);

    /**
     * The feature vector a node's signals carry for the length controller: what produced the distribution its token
     * came from. Default: the target's last feature {@code f_{n-2}} (what the heads read).
     */
    protected float[] stepFeature(DynamicTree.Node<S> parent) {
        return features.get(features.size() - 1);
    }

    /** Called after each proposal (e.g. to drop the round's rows from a cache). */
    protected void finish(int length) {}

    @Override
    protected final DraftTree draft(DraftContext ctx) {
        int[] tokens = ctx.tokens();
        int length = ctx.length();
        return tree.draft(ctx.budget(), maxDepth(), new DynamicTree.Expansion<S>() {
            @Override
            public float[] root() {
                return rootLogits(tokens, length);
            }

            @Override
            public float[][] expand(List<DynamicTree.Node<S>> frontier) {
                return DynamicTreeDrafter.this.expand(frontier, tokens, length);
            }

            @Override
            public float[] feature(DynamicTree.Node<S> parent) {
                return stepFeature(parent);
            }

            @Override
            public void finish() {
                DynamicTreeDrafter.this.finish(length);
            }
        });
    }

    /**
     * Teacher forcing through the same expansion the tree uses: the root's row, then one single-node expansion per
     * path token.
     */
    @Override
    protected final float[][] pathLogits(int[] tokens, int length, int[] path) {
        int n = Math.min(path.length, maxDepth());
        float[][] out = new float[n][];
        if (n == 0) {
            return out;
        }
        try {
            out[0] = rootLogits(tokens, length);
            DynamicTree.Node<S> parent = null;
            for (int i = 1; i < n; i++) {
                DynamicTree.Node<S> x = new DynamicTree.Node<>(path[i - 1], parent, 0);
                out[i] = expand(List.of(x), tokens, length)[0];
                parent = x;
            }
        } finally {
            finish(length);
        }
        return out;
    }
}
