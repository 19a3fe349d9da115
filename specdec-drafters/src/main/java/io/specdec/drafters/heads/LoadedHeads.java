package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaModel;
import java.util.List;
import java.util.Map;

/**
 * Heads placed for one target: their weights on the target's device and, for EAGLE, the one-layer decoder built on
 * the target's embedding and LM head. Makes the per-request drafters. Owns native memory: close it (after its
 * drafters). Thread-safe for making drafters; the arrays are read-only.
 */
final class LoadedHeads implements AutoCloseable {
    final CausalLM target;
    final DraftHeads heads;
    final Map<String, NDArray> params;
    final LlamaModel layer;
    private final NDManager manager;

    LoadedHeads(CausalLM target, DraftHeads heads) {
        heads.requireTarget(target.config(), heads.kind().id() + " heads");
        this.target = target;
        this.heads = heads;
        this.manager = SpecdecEngine.newManager();
        try {
            this.params = heads.toArrays(manager);
            this.layer = heads.kind() == HeadKind.EAGLE
                    ? new LlamaModel(heads.eagleLayer(HeadsProvider.hostEmbedding(target),
                            HeadsProvider.hostLmHead(target))) : null;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A Medusa drafter over {@code choices}. */
    MedusaDrafter medusa(List<int[]> choices) {
        return new MedusaDrafter(target, heads, params, choices);
    }

    /** A Hydra or EAGLE drafter with a dynamic tree of this shape. */
    DynamicTreeDrafter dynamic(int depth, int topK, int budget) {
        return heads.kind() == HeadKind.HYDRA ? new HydraDrafter(target, heads, params, depth, topK, budget)
                : new EagleDrafter(target, layer, params, depth, topK, budget);
    }

    /** A drafter for teacher-forced evaluation (any shape). */
    HeadDrafter probe() {
        return heads.kind() == HeadKind.MEDUSA ? medusa(List.of(new int[] {0})) : dynamic(8, 8, 64);
    }

    @Override
    public void close() {
        if (layer != null) {
            layer.close();
        }
        manager.close();
    }
}
