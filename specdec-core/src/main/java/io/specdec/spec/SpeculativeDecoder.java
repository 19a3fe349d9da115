package io.specdec.spec;

import io.specdec.generate.DecodeStep;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.TokenSampler;
import io.specdec.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Speculative decoding: each round a {@link Drafter} proposes a tree, the {@link Verifier} runs the target over it
 * in one forward, the {@link AcceptancePolicy} keeps the accepted path plus one corrected/bonus token, and the
 * target cache keeps exactly the accepted path (ALGORITHMS.md §1, §2). With a lossless policy the output equals
 * autoregressive decoding: identical tokens when greedy, the identical distribution when sampling. Same streaming
 * API and stop conditions as {@link io.specdec.generate.AutoregressiveGenerator}; the result carries
 * {@link SpeculationStats}.
 *
 * <p>Thread safety: the decoder may start several requests concurrently (each gets its own drafter and cache) only if
 * its {@link CandidateLengthController} is used by one request at a time; the built-in controllers are not
 * thread-safe.
 */
public final class SpeculativeDecoder implements io.specdec.generate.TextGenerator {
    private final VerifierFactory verifiers;
    private final Tokenizer tokenizer;
    private final DrafterFactory drafters;
    private final AcceptancePolicy policy;
    private final CandidateLengthController controller;
    private final GenerationConfig config;
    private final int maxDraft;

    private SpeculativeDecoder(Builder b) {
        this.verifiers = Objects.requireNonNull(b.verifiers, "verifier is required (setVerifier)");
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer is required (setTokenizer)");
        this.drafters = Objects.requireNonNull(b.drafters, "drafter is required (setDrafter)");
        this.policy = Objects.requireNonNull(b.policy, "acceptance policy is required (setPolicy)");
        this.controller = b.controller;
        this.config = b.config;
        this.maxDraft = b.maxDraft;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public GenerationConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public AcceptancePolicy policy() {
        return policy;
    }

    public CandidateLengthController controller() {
        return controller;
    }

    @Override
    public Generation start(int[] promptIds) {
        int[] p = promptIds.clone();
        return new Generation(tokenizer, p, config, () -> new SpecStep(p));
    }

    /** The per-request decode loop. */
    private final class SpecStep implements DecodeStep {
        private final Verifier verifier;
        private final Drafter drafter;
        private final TokenSampler sampler;
        private final SpeculationStats.Recorder recorder = new SpeculationStats.Recorder();
        private int[] history;
        private int length;

        SpecStep(int[] prompt) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("empty prompt: at least one token (e.g. BOS) is needed");
            }
            int ctx = verifiers.contextLength();
            if (prompt.length > ctx) {
                throw new IllegalArgumentException("prompt has " + prompt.length
                        + " tokens but the model's context holds " + ctx);
            }
            int capacity = (int) Math.min(ctx, (long) prompt.length + config.maxNewTokens() + maxDraft + 1);
            this.sampler = new TokenSampler(config.sampling());
            this.history = Arrays.copyOf(prompt, prompt.length + 64);
            this.length = prompt.length;
            Verifier v = verifiers.create(capacity);
            Drafter d = null;
            try {
                d = drafters.create();
                if (d.vocabSize() != v.vocabSize()) {
                    throw new IllegalArgumentException("draft/target vocabulary mismatch: drafter has " + d.vocabSize()
                            + " tokens, target " + v.vocabSize());
                }
                v.prefill(Arrays.copyOf(prompt, prompt.length - 1));
                d.begin(prompt);
            } catch (RuntimeException e) {
                if (d != null) {
                    d.close();
                }
                v.close();
                throw e;
            }
            this.verifier = v;
            this.drafter = d;
        }

        @Override
        public int[] next(int max) {
            if (verifier.remaining() < 1) {
                return new int[0];
            }
            long t0 = System.nanoTime();
            int budgetMax = Math.min(maxDraft, Math.min(verifier.remaining() - 1, max - 1));
            int budget = budgetMax > 0 && controller != null ? controller.nextBudget(budgetMax) : 0;
            DraftTree tree = DraftTree.empty();
            if (budget > 0) {
                DraftContext ctx = new DraftContext(history, length, config.sampling(),
                        LogitsProcessors.of(config.sampling()), sampler.rng(), budget, controller);
                tree = drafter.propose(ctx);
                if (tree.size() > budget) {
                    throw new IllegalStateException("drafter proposed " + tree.size() + " nodes for a budget of "
                            + budget);
                }
            }
            long t1 = System.nanoTime();
            int root = history[length - 1];
            io.specdec.model.ForwardResult verified = verifier.verify(root, tree, drafter.verifyHiddenLayers());
            float[] logits = verified.logits();
            long t2 = System.nanoTime();
            int vocab = verifier.vocabSize();
            final DraftTree tr = tree;
            AcceptancePolicy.Acceptance acc = policy.walk(tree, node -> distribution(logits, vocab, tr, node),
                    sampler.rng());
            verifier.commit(acc.acceptedNodes());
            int[] emitted = new int[acc.acceptedNodes().length + 1];
            for (int i = 0; i < acc.acceptedNodes().length; i++) {
                emitted[i] = tree.token(acc.acceptedNodes()[i]);
            }
            emitted[emitted.length - 1] = acc.nextToken();
            for (int id : emitted) {
                if (length == history.length) {
                    history = Arrays.copyOf(history, length * 2);
                }
                history[length++] = id;
            }
            RoundResult r = new RoundResult(root, tree, acc.acceptedNodes(), emitted, logits, vocab,
                    verified.layerHidden(), t1 - t0, t2 - t1);
            drafter.observe(r);
            if (controller != null) {
                controller.observe(r);
            }
            recorder.record(r, System.nanoTime() - t0);
            return emitted.length <= max ? emitted : Arrays.copyOf(emitted, max);
        }

        /** Target distribution at {@code node} (-1 = root) with the request's processors and the path as history. */
        private float[] distribution(float[] logits, int vocab, DraftTree tree, int node) {
            float[] row = Arrays.copyOfRange(logits, (node + 1) * vocab, (node + 2) * vocab);
            if (config.sampling().repetitionPenalty() == 1f) {
                return sampler.distribution(row, history, length);
            }
            int[] path = tree.pathTokens(node);
            int[] h = Arrays.copyOf(history, length + path.length);
            System.arraycopy(path, 0, h, length, path.length);
            return sampler.distribution(row, h, h.length);
        }

        @Override
        public SpeculationStats speculationStats() {
            return recorder.snapshot();
        }

        @Override
        public void close() {
            try {
                drafter.close();
            } finally {
                verifier.close();
            }
        }
    }

    /** Builder: {@code set*} required, {@code opt*} optional. */
    public static final class Builder {
        private VerifierFactory verifiers;
        private Tokenizer tokenizer;
        private DrafterFactory drafters;
        private AcceptancePolicy policy;
        private CandidateLengthController controller = LengthControllers.fixed(4);
        private GenerationConfig config = GenerationConfig.defaults();
        private int maxDraft = 128;

        /** How the target verifies (e.g. {@code TreeVerifier.factory(model)}). */
        public Builder setVerifier(VerifierFactory v) {
            this.verifiers = v;
            return this;
        }

        public Builder setTokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** A factory making one drafter per request. */
        public Builder setDrafter(DrafterFactory d) {
            this.drafters = d;
            return this;
        }

        /** Acceptance policy (lossless: greedy or rejection sampling). */
        public Builder setPolicy(AcceptancePolicy p) {
            this.policy = p;
            return this;
        }

        /** Draft length controller; default static K = 4. */
        public Builder optController(CandidateLengthController c) {
            this.controller = c;
            return this;
        }

        /** Limits and sampling; default {@link GenerationConfig#defaults()}. */
        public Builder optConfig(GenerationConfig c) {
            this.config = c;
            return this;
        }

        /** Upper bound on nodes per round (cache headroom); default 128. */
        public Builder optMaxDraft(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("max draft must be >= 0");
            }
            this.maxDraft = n;
            return this;
        }

        public SpeculativeDecoder build() {
            return new SpeculativeDecoder(this);
        }
    }
}
