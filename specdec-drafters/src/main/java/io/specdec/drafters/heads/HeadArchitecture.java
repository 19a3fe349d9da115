package io.specdec.drafters.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One family of draft heads that read the target's own features (Medusa, Hydra, EAGLE-style, Clover, …): everything
 * that differs between families — the tensor layout of its heads file, its initialisation, its training losses on the
 * shared head math ({@link HeadMath}), its drafting forward, its inflation to a cost twin. Everything they share
 * lives once: the file format and checks ({@link DraftHeads}), the training loop ({@link HeadTrainer} on
 * {@code LlamaTrainer.fit}), the dynamic tree ({@link io.specdec.drafters.DynamicTree}), the tree sizing
 * ({@link HeadSizing}), the drafter registration and options ({@link HeadsProvider}) and the feature bookkeeping of a
 * request ({@link HeadDrafter}).
 *
 * <p>A family is added by one class implementing this interface, its drafter, and one registration: a
 * {@code HeadsProvider} subclass with a public no-argument constructor listed in
 * {@code META-INF/services/io.specdec.speculation.DrafterProvider}. Heads files name their family by {@link #id()}
 * ({@link HeadArchitectures#of}). Implementations are stateless and thread-safe.
 */
public interface HeadArchitecture {
    /** The lower-case name used in heads files, drafter names ({@code --drafter ID}) and the training command. */
    String id();

    /** One line for {@code --help} and listings. */
    String description();

    /** Heads a file of this family holds when it is fixed (EAGLE, Clover: 1 decoder); 0 = the user's count. */
    default int fixedCount() {
        return 0;
    }

    /** Whether residual blocks per head are a choice ({@code --blocks}); false = always 1. */
    default boolean hasBlocks() {
        return true;
    }

    /** Whether the heads' decoder keeps a KV cache over the prefix (then the target's context length must match). */
    default boolean readsContext() {
        return false;
    }

    /** Whether drafts grow as a dynamic tree (true) or as Medusa's static rank-path "choices" (false). */
    default boolean dynamicTree() {
        return true;
    }

    /** Deepest draft the heads can produce. */
    int maxDepth(DraftHeads heads);

    /** Depths the held-out accuracy report evaluates for {@code heads}. */
    default int evalDepth(DraftHeads heads) {
        return Math.min(6, maxDepth(heads));
    }

    /** Tensor names and row-major shapes of a heads file for target {@code c}, in file order. */
    Map<String, long[]> layout(LlamaConfig c, int count, int blocks);

    /**
     * Fills fresh heads ({@code tensors}: every {@link #layout} tensor, all zeros on entry) as the family's paper
     * initialises them.
     *
     * @param target the target in half-split RoPE layout (families with a decoder layer copy one of its layers)
     * @param initLayer the target layer (0-based) a decoder layer starts from
     */
    void init(Map<String, float[]> tensors, LlamaWeights target, int count, int blocks, int initLayer,
            SplittableRandom random);

    /**
     * The heads' tensors for a cost twin of their target (function-preserving where the family allows it, see
     * {@link DraftHeads#inflate}), in {@link #layout} order for {@code twin}.
     *
     * @throws IllegalArgumentException when the family cannot be inflated
     */
    Map<String, float[]> inflate(DraftHeads heads, LlamaConfig twin, SplittableRandom random);

    /** The paper's loss settings for this family. */
    HeadTrainer.Loss defaultLoss();

    /** The trainable state for {@code init}: parameters on {@code manager} (or owned by the result) and losses. */
    Training training(DraftHeads init, LlamaWeights target, NDManager manager);

    /** The heads placed for {@code target}: makes the per-request drafters. */
    Runtime runtime(CausalLM target, DraftHeads heads, Map<String, NDArray> params);

    /** Training state of one run. Not thread-safe. */
    interface Training extends AutoCloseable {
        /** Trainable parameters, by {@link DraftHeads} tensor name (every tensor of the file). */
        Map<String, NDArray> parameters();

        /** {total loss to minimise, data CE sum (nats), token count} for one batch. */
        NDArray[] losses(HeadBatch batch);

        @Override
        default void close() {}
    }

    /** Heads placed for one target. Thread-safe for making drafters; owns native memory of its own. */
    interface Runtime extends AutoCloseable {
        /** A drafter of the given shape (one per request). */
        HeadDrafter drafter(HeadTree shape);

        /** Bytes this runtime holds besides the heads' weights (a decoder's KV cache per request, say). */
        default long extraBytes() {
            return 0;
        }

        @Override
        default void close() {}
    }

    /**
     * The shape of a request's drafts.
     *
     * @param depth levels drafted at most (dynamic trees)
     * @param topK children per expanded node (dynamic trees)
     * @param budget nodes per round at most
     * @param choices Medusa's rank paths (static trees; empty otherwise)
     */
    record HeadTree(int depth, int topK, int budget, List<int[]> choices) {
        public HeadTree {
            choices = List.copyOf(choices);
        }

        /** A dynamic tree. */
        public static HeadTree dynamic(int depth, int topK, int budget) {
            return new HeadTree(depth, topK, budget, List.of());
        }

        /** The shape used for teacher-forced evaluation and calibration (any family). */
        public static HeadTree probe() {
            return new HeadTree(8, 8, 64, List.of(new int[] {0}));
        }
    }
}
