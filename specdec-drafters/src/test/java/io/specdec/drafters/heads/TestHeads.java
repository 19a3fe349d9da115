package io.specdec.drafters.heads;

import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.speculation.DrafterFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Heads for tests: the committed trained heads when they fit the target, else initialised heads with noise. */
final class TestHeads {
    private TestHeads() {}

    /** Initialised heads with Gaussian noise ({@code scale}) on every tensor, so drafts vary with the input. */
    static DraftHeads random(HeadArchitecture kind, LlamaWeights target, int count, long seed, float scale) {
        DraftHeads h = DraftHeads.init(kind, target, count, 1, seed);
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String n : h.names()) {
            float[] t = h.tensor(n).clone();
            for (int i = 0; i < t.length; i++) {
                t[i] += (float) (r.nextGaussian() * scale);
            }
            v.put(n, t);
        }
        return h.with(v);
    }

    /**
     * Heads trained for seconds on a toy target's own T = 1 samples (64 sequences of 24 tokens, 150 steps): good
     * enough that their drafts get accepted, which the contract's distribution test requires.
     */
    static DraftHeads trained(HeadArchitecture kind, LlamaWeights target, Path dir) throws java.io.IOException {
        Path samples = dir.resolve(kind.id() + "-samples.bin");
        io.specdec.train.SelfDistillation.builder().setWeights(target).setPrompts(List.of(new int[] {1}))
                .setSequences(64).optTemperature(1f).optMaxNewTokens(24).optSeed(5).build().run(samples, null);
        List<io.specdec.train.SampleFile.Sample> all = io.specdec.train.SampleFile.read(samples);
        io.specdec.train.TrainingData data = new io.specdec.train.TrainingData(all, target.config().vocabSize(), 0);
        io.specdec.train.LlamaTrainer.Config cfg = new io.specdec.train.LlamaTrainer.Config(150, 8, 16, 1e-2f, 1e-3f,
                10, 0f, 1f, 150, 1, 0, 0f, 3);
        DraftHeads init = random(kind, target, 3, 11, 0.01f);
        try (HeadTrainer t = new HeadTrainer(init, target, HeadTrainer.Loss.defaults(kind))) {
            t.train(data, data, cfg, null, null);
            return t.heads();
        }
    }

    /** {@code models/stories260K-<kind>.gguf} when present and made for this target, else random heads. */
    static DraftHeads forStory(HeadArchitecture kind, LlamaModel target, LlamaWeights weights) {
        Path p = Path.of("..", "models", "stories260K-" + kind.id() + ".gguf");
        if (Files.isRegularFile(p)) {
            DraftHeads h = DraftHeads.load(p);
            if (h.target().dim() == target.config().dim() && h.target().vocabSize() == target.config().vocabSize()
                    && h.target().layers() == target.config().layers()) {
                return h;
            }
        }
        return random(kind, weights, 3, 7, 0.05f);
    }

    /** Factories whose placed heads are closed by {@link #close}. */
    static final class Pool implements AutoCloseable {
        private final List<LoadedHeads> open = new ArrayList<>();

        DrafterFactory factory(LlamaModel target, DraftHeads heads) {
            return factory(target, heads, null);
        }

        /** With a given shape ({@code null}: the per-family default). */
        DrafterFactory factory(LlamaModel target, DraftHeads heads, HeadArchitecture.HeadTree shape) {
            LoadedHeads l = new LoadedHeads(target, heads);
            open.add(l);
            if (shape != null) {
                return () -> l.drafter(shape);
            }
            if (!heads.architecture().dynamicTree()) {
                List<int[]> choices = List.of(new int[] {0}, new int[] {1}, new int[] {0, 0}, new int[] {0, 1},
                        new int[] {0, 0, 0});
                return () -> l.drafter(new HeadArchitecture.HeadTree(3, 1, choices.size(), choices));
            }
            return () -> l.drafter(HeadArchitecture.HeadTree.dynamic(4, 3, 10));
        }

        @Override
        public void close() {
            open.forEach(LoadedHeads::close);
            open.clear();
        }
    }
}
