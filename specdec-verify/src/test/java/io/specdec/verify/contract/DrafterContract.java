package io.specdec.verify.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.ForwardOptions;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.AcceptancePolicy;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.speculation.Verifier;
import io.specdec.speculation.VerifierFactory;
import io.specdec.testing.SharedAssets;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import io.specdec.verify.Speculation;
import io.specdec.verify.TreeVerifier;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract every drafter passes (Guava-testlib style: subclass it and say how to build the drafter):
 * <ol>
 *   <li>greedy: output ids identical to autoregressive greedy decoding on stories260K for the golden prompts (on the
 *       embedded demo target and its prompts when the shared folder is absent);</li>
 *   <li>sampling: on a tiny-vocabulary random target (V = 16), the empirical joint distribution of the first three
 *       generated tokens over 20,000 speculative generations matches the exact target distribution (chi-square,
 *       Wilson–Hilferty z ≤ 4.5, i.e. p ≥ ~3e-6), at T = 1 and at T = 0.7 with top-p 0.9;</li>
 *   <li>KV: after every round the target cache equals a cache built by sequential decoding of the committed tokens.</li>
 * </ol>
 * The statistical test has power: {@code AcceptAlwaysTest} runs the same check with a broken acceptance rule and it
 * fails. Seeds are fixed, so results are reproducible.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DrafterContract {
    /** Samples per distribution test. */
    protected static final int SAMPLES = 20_000;
    /** Largest acceptable z. */
    protected static final double Z_MAX = 4.5;
    /** The tiny target: V = 16. */
    protected static final LlamaConfig TINY = new LlamaConfig(16, 32, 1, 2, 1, 8, 16, 32, 1e-5f, 10000f, false,
            false, 1, 2);

    /** Weight scale of the tiny target: logits of order 1, so the 3-token distribution is spread over many cells. */
    public static final float TINY_SCALE = 0.15f;

    /** stories260K with draft43K when the shared folder has them, else the embedded demo pair. */
    protected SharedAssets.StoryModels story;
    protected LoadedModel stories;
    protected LlamaModel storiesModel;
    protected LlamaModel tinyTarget;

    /**
     * Weights for a tiny draft that resembles the tiny target, as a trained draft would: the target's weights with
     * Gaussian noise of {@code relative} times each weight's magnitude added.
     */
    protected static LlamaWeights tinyDraftWeights(float relative) {
        LlamaWeights t = LlamaWeights.random(TINY, 2024, TINY_SCALE);
        java.util.SplittableRandom r = new java.util.SplittableRandom(99);
        java.util.function.UnaryOperator<float[]> noisy = a -> {
            if (a == null) {
                return null;
            }
            float[] b = a.clone();
            for (int i = 0; i < b.length; i++) {
                b[i] += (float) (relative * Math.abs(b[i]) * (r.nextDouble() * 2 - 1) * 1.7);
            }
            return b;
        };
        java.util.List<LlamaWeights.Layer> layers = new java.util.ArrayList<>();
        for (LlamaWeights.Layer l : t.layers()) {
            layers.add(new LlamaWeights.Layer(l.attnNorm(), noisy.apply(l.wq()), noisy.apply(l.wk()),
                    noisy.apply(l.wv()), noisy.apply(l.wo()), l.ffnNorm(), noisy.apply(l.wGate()),
                    noisy.apply(l.wUp()), noisy.apply(l.wDown()), null, null, null));
        }
        return new LlamaWeights(TINY, t.layout(), noisy.apply(t.embedding()), layers, t.finalNorm(),
                noisy.apply(t.output()));
    }

    /** The drafter for the story target ({@link #story}: stories260K, or the embedded demo without the shared folder). */
    protected abstract DrafterFactory drafter(LlamaModel target, LoadedModel loaded);

    /** The drafter for the tiny random target (same vocabulary, V = 16). */
    protected abstract DrafterFactory tinyDrafter(LlamaModel tinyTarget);

    /** The prompt of the tiny-target distribution test (default [BOS]). */
    protected int[] tinyPrompt() {
        return new int[] {1};
    }

    /** The length controller used by the contract (default static K = 4). */
    protected CandidateLengthController controller() {
        return LengthControllers.fixed(4);
    }

    /**
     * For pipelined drafters: decodes every story prompt greedily with the pipeline on (static K) and asserts each
     * output equals AR's and that lookaheads ran and were used; returns {used, ran}.
     */
    protected int[] assertLookaheadsUsedAndGreedyAutoregressive(int k) {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(64).optStopAtEos(false).build();
        AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(storiesModel)
                .setTokenizer(stories.tokenizer()).optConfig(cfg).build();
        SpeculativeDecoder spec = Speculation.decoder(storiesModel, stories.tokenizer(),
                drafter(storiesModel, stories), cfg).optControllerFactory(() -> LengthControllers.fixed(k))
                .optPipeline(true).build();
        int lookaheads = 0;
        int hits = 0;
        for (String prompt : story.prompts()) {
            GenerationResult a = ar.generate(prompt);
            GenerationResult s = spec.generate(prompt);
            assertArrayEquals(a.ids(), s.ids(), "pipelined greedy differs from AR for '" + prompt + "'");
            lookaheads += s.speculation().lookaheads();
            hits += s.speculation().lookaheadHits();
        }
        System.out.printf("[contract] %s pipeline on the story target: %d of %d lookaheads used%n",
                getClass().getSimpleName(), hits, lookaheads);
        assertTrue(lookaheads > 10 && hits > 0, "the pipeline must run and be used: " + hits + " of " + lookaheads);
        return new int[] {hits, lookaheads};
    }

    /** Whether the decoder runs LLMCad's pipeline (lookahead drafting during verification); default false. */
    protected boolean pipeline() {
        return false;
    }

    /** Acceptance policy for a config (default: the lossless one). */
    protected AcceptancePolicy policy(GenerationConfig cfg) {
        return Speculation.losslessPolicy(cfg.sampling());
    }

    /** The tiny target's config (default {@link #TINY}; early-exit drafters need more than one layer). */
    protected LlamaConfig tinyConfig() {
        return TINY;
    }

    @BeforeAll
    void loadModels() {
        tinyTarget = new LlamaModel(LlamaWeights.random(tinyConfig(), 2024, TINY_SCALE));
        story = SharedAssets.storyModels();
        stories = ModelLoader.load(story.target());
        storiesModel = new LlamaModel(stories.weights());
    }

    @AfterAll
    void closeModels() {
        if (storiesModel != null) {
            storiesModel.close();
        }
        tinyTarget.close();
    }

    private SpeculativeDecoder decoder(LlamaModel target, Tokenizer tok, DrafterFactory d, GenerationConfig cfg,
            VerifierFactory verifier) {
        return SpeculativeDecoder.builder().setVerifier(verifier).setTokenizer(tok).setDrafter(d)
                .optController(controller()).optConfig(cfg).optPolicy(policy(cfg)).optPipeline(pipeline()).build();
    }

    @Test
    void greedyOutputEqualsAutoregressive() {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(96).optStopAtEos(false).build();
        AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(storiesModel)
                .setTokenizer(stories.tokenizer()).optConfig(cfg).build();
        SpeculativeDecoder spec = decoder(storiesModel, stories.tokenizer(), drafter(storiesModel, stories), cfg,
                TreeVerifier.factory(storiesModel));
        for (String prompt : story.prompts()) {
            GenerationResult a = ar.generate(prompt);
            GenerationResult s = spec.generate(prompt);
            assertArrayEquals(a.ids(), s.ids(), "speculative greedy differs from AR for '" + prompt + "' on "
                    + story.target().getFileName());
            assertTrue(s.speculation().rounds() > 0);
            assertEquals(s.ids().length, s.speculation().emitted());
        }
    }

    private void assertDistribution(SamplingConfig s) {
        Measured m = measure(tinyTarget, tinyDrafter(tinyTarget), this::policy, controller(), s, SAMPLES,
                tinyPrompt(), pipeline());
        System.out.printf("[contract] %s %s: %s, %d draft tokens accepted over %d samples%n",
                getClass().getSimpleName(), s, m.chi(), m.accepted(), SAMPLES);
        assertTrue(m.accepted() > SAMPLES / 10, "the drafter must actually get tokens accepted (" + m.accepted() + ")");
        assertTrue(m.chi().z() <= Z_MAX, "speculative samples do not follow the target distribution: " + m.chi()
                + " (config " + s + ")");
    }

    /** Outcome of a distribution measurement. */
    public record Measured(DistributionCheck.ChiSquare chi, long accepted) {}

    /**
     * Generates 3 tokens {@code samples} times from prompt [BOS] with speculation and tests the joint distribution of
     * the three tokens against the exact target distribution.
     */
    public static Measured measure(LlamaModel target, DrafterFactory drafter,
            java.util.function.Function<GenerationConfig, AcceptancePolicy> policy, CandidateLengthController controller,
            SamplingConfig s, int samples, int[] prompt) {
        return measure(target, drafter, policy, controller, s, samples, prompt, false);
    }

    /** {@link #measure}, with LLMCad's pipeline on or off. */
    public static Measured measure(LlamaModel target, DrafterFactory drafter,
            java.util.function.Function<GenerationConfig, AcceptancePolicy> policy, CandidateLengthController controller,
            SamplingConfig s, int samples, int[] prompt, boolean pipeline) {
        Tokenizer tok = tinyTokenizer();
        int v = target.config().vocabSize();
        double[] exact = DistributionCheck.exactTriples(target, prompt, s);
        Map<Integer, Integer> counts = new HashMap<>();
        long accepted = 0;
        for (int i = 0; i < samples; i++) {
            SamplingConfig si = SamplingConfig.builder().optTemperature(s.temperature()).optTopP(s.topP())
                    .optTopK(s.topK()).optSeed(1_000_003L * i + 17).build();
            GenerationConfig ci = GenerationConfig.builder().optMaxNewTokens(3).optStopAtEos(false).optSampling(si)
                    .build();
            SpeculativeDecoder.Builder b = SpeculativeDecoder.builder().setVerifier(TreeVerifier.factory(target))
                    .setTokenizer(tok).setDrafter(drafter).optController(controller).optConfig(ci)
                    .optPipeline(pipeline);
            AcceptancePolicy p = policy.apply(ci);
            GenerationResult r;
            try (var g = (p.isLossless() ? b.optPolicy(p) : b.optLossyPolicy(p)).build().start(prompt)) {
                r = g.result();
            }
            int[] ids = r.ids();
            assertEquals(3, ids.length);
            counts.merge(ids[0] * v * v + ids[1] * v + ids[2], 1, Integer::sum);
            accepted += r.speculation().accepted();
        }
        return new Measured(DistributionCheck.chiSquare(counts, samples, exact), accepted);
    }

    @Test
    void samplingAtTemperatureOneMatchesTargetDistribution() {
        assertDistribution(SamplingConfig.builder().optTemperature(1f).build());
    }

    @Test
    void samplingWithTemperatureAndTopPMatchesTargetDistribution() {
        assertDistribution(SamplingConfig.builder().optTemperature(0.7f).optTopP(0.9f).build());
    }

    /** A 16-token vocabulary for the tiny target (ids 0..15, BOS 1, EOS 2). */
    protected static Tokenizer tinyTokenizer() {
        String[] pieces = new String[16];
        float[] scores = new float[16];
        for (int i = 0; i < 16; i++) {
            pieces[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : String.valueOf((char) ('a' + i));
        }
        return new SentencePieceBpeTokenizer(pieces, scores, null, 1, 2, 0, false);
    }

    @Test
    void targetCacheEqualsSequentialDecodingAfterEveryRound() {
        for (SamplingConfig s : new SamplingConfig[] {SamplingConfig.GREEDY,
            SamplingConfig.builder().optTemperature(0.8f).optSeed(5).build()}) {
            GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(40).optStopAtEos(false).optSampling(s)
                    .build();
            int[] rounds = {0};
            VerifierFactory checking = new VerifierFactory() {
                @Override
                public Verifier create(int capacity) {
                    return new CheckingVerifier(new TreeVerifier(storiesModel, capacity), storiesModel, rounds);
                }

                @Override
                public int contextLength() {
                    return storiesModel.config().contextLength();
                }

                @Override
                public io.specdec.model.TargetView target() {
                    return storiesModel;
                }

                @Override
                public AcceptancePolicy losslessPolicy(SamplingConfig sampling) {
                    return Speculation.losslessPolicy(sampling);
                }
            };
            decoder(storiesModel, stories.tokenizer(), drafter(storiesModel, stories), cfg, checking)
                    .generate("Once upon a time");
            assertTrue(rounds[0] >= 5, "checked " + rounds[0] + " rounds");
        }
    }

    /** Compares the verifier's cache with a sequential re-decode of the committed tokens after each commit. */
    private static final class CheckingVerifier implements Verifier {
        private final TreeVerifier inner;
        private final LlamaModel model;
        private final int[] rounds;
        private int[] committed = new int[0];
        private io.specdec.speculation.RoundLayout pending;

        CheckingVerifier(TreeVerifier inner, LlamaModel model, int[] rounds) {
            this.inner = inner;
            this.model = model;
            this.rounds = rounds;
        }

        @Override
        public io.specdec.model.ForwardResult prefill(int[] p, io.specdec.speculation.OutputRequest out) {
            committed = p.clone();
            return inner.prefill(p, out);
        }

        @Override
        public io.specdec.model.ForwardResult verify(io.specdec.speculation.RoundLayout layout,
                io.specdec.speculation.OutputRequest out) {
            pending = layout;
            return inner.verify(layout, out);
        }

        @Override
        public void commit(int[] accepted) {
            inner.commit(accepted);
            int n = committed.length;
            committed = Arrays.copyOf(committed, n + 1 + accepted.length);
            committed[n] = pending.root();
            for (int i = 0; i < accepted.length; i++) {
                committed[n + 1 + i] = pending.tree().token(accepted[i]);
            }
            try (KvCache ref = model.newCache(committed.length)) {
                model.forward(ref, committed, ForwardOptions.LAST_ROW);
                for (int l = 0; l < model.config().layers(); l++) {
                    float[] a = inner.cache().keysOf(l);
                    float[] b = ref.keysOf(l);
                    float[] va = inner.cache().valuesOf(l);
                    float[] vb = ref.valuesOf(l);
                    assertEquals(b.length, a.length, "cache length after round " + rounds[0]);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(b[i], a[i], 1e-4, "key " + i + " of layer " + l + " after round " + rounds[0]);
                        assertEquals(vb[i], va[i], 1e-4, "value " + i + " of layer " + l);
                    }
                }
            }
            rounds[0]++;
        }

        @Override
        public int length() {
            return inner.length();
        }

        @Override
        public int remaining() {
            return inner.remaining();
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public io.specdec.model.TargetView target() {
            return inner.target();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
