package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.CausalLM;
import java.util.Map;

/**
 * Heads placed for one target: their weights on the target's device and the family's runtime
 * ({@link HeadArchitecture#runtime}: a decoder built on the target's embedding and LM head, say). Makes the
 * per-request drafters. Owns native memory: close it (after its drafters). Thread-safe for making drafters; the
 * arrays are read-only.
 */
final class LoadedHeads implements AutoCloseable {
    final CausalLM target;
    final DraftHeads heads;
    final Map<String, NDArray> params;
    final HeadArchitecture.Runtime runtime;
    private final NDManager manager;

    LoadedHeads(CausalLM target, DraftHeads heads) {
        heads.requireTarget(target.config(), heads.architecture().id() + " heads");
        this.target = target;
        this.heads = heads;
        this.manager = SpecdecEngine.newManager();
        try {
            this.params = heads.toArrays(manager);
            this.runtime = heads.architecture().runtime(target, heads, params);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A drafter of this shape. */
    HeadDrafter drafter(HeadArchitecture.HeadTree shape) {
        return runtime.drafter(shape);
    }

    /** A drafter for teacher-forced evaluation (any shape). */
    HeadDrafter probe() {
        return drafter(HeadArchitecture.HeadTree.probe());
    }

    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            manager.close();
        }
    }
}
