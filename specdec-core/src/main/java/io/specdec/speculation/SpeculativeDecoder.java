package io.specdec.speculation;

import io.specdec.generate.DecodeStep;
import io.specdec.generate.SpeculationStats;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.LogitsProcessors;
import io.specdec.sampling.TokenSampler;
import io.specdec.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import io.specdec.model.ForwardResult;
import io.specdec.tokenizer.Vocabularies;

/**
 * Speculative decoding: each round a {@link Drafter} proposes a tree, the {@link Verifier} runs the target over it
 * in one forward, the {@link AcceptancePolicy} keeps the accepted path plus one corrected/bonus token, and the
 * target cache keeps exactly the accepted path (ALGORITHMS.md §1, §2). With a lossless policy the output equals
 * autoregressive decoding: identical tokens when greedy, the identical distribution when sampling. Same streaming
 * API and stop conditions as {@link io.specdec.generate.AutoregressiveGenerator}; the result carries
 * {@link SpeculationStats}.
 *
 * <p>The loop owns the stop rule: every proposal passes the request's controller ({@link DraftGate}) before it is
 * verified, so a controller bounds every drafter alike.
 *
 * <p>Thread safety: the decoder may start several requests concurrently; each gets its own drafter, cache and
 * {@link CandidateLengthController} (from the controller factory).
 */
public final class SpeculativeDecoder implements io.specdec.generate.TextGenerator {
    private final VerifierFactory verifiers;
    private final Tokenizer tokenizer;
    private final DrafterFactory drafters;
    private final AcceptancePolicy policy;
    private final java.util.function.Supplier<? extends CandidateLengthController> controllers;
    private final String controllerName;
    private final GenerationConfig config;
    private final int maxDraft;
    private final boolean pipeline;

    /**
     * LLMCad's pipeline setting as users give it ({@code --pipeline on|off|auto}). {@link #AUTO} turns it on only
     * where the drafter's thread gets a core of its own — more cores than the target's kernel threads — because on a
     * machine whose cores the kernels already use, the lookahead slowed verification by more than it saved
     * (measured: {@code io.specdec.bench.pipeline.PipelineSplit}, docs/SEED_SYSTEMS.md).
     */
    public enum Pipeline {
        ON, OFF, AUTO;

        /** Parses {@code on}, {@code off} or {@code auto} (any case); a one-line error names the value otherwise. */
        public static Pipeline parse(String v) {
            for (Pipeline p : values()) {
                if (p.name().equalsIgnoreCase(v == null ? "" : v.strip())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("pipeline must be on, off or auto, found '" + v + "'");
        }

        /** Whether the pipeline runs for a target whose kernels use {@code kernelThreads} of {@code cores}. */
        public boolean resolve(int kernelThreads, int cores) {
            return this == ON || (this == AUTO && cores > kernelThreads);
        }
    }

    /** Threads that run lookahead drafts (daemon, created on demand, idle ones end after a minute). */
    private static final java.util.concurrent.ExecutorService LOOKAHEAD = new java.util.concurrent.ThreadPoolExecutor(
            0, Integer.MAX_VALUE, 60, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
            r -> {
                Thread t = new Thread(r, "specdec-lookahead");
                t.setDaemon(true);
                return t;
            });

    private final Set<Tokenizer> checkedVocabularies = ConcurrentHashMap.newKeySet();
    /** Drafters serving a request now, process-wide: a factory that hands one out twice is caught at once. */
    private static final Set<Drafter> IN_USE = ConcurrentHashMap.newKeySet();

    private SpeculativeDecoder(Builder b) {
        this.verifiers = Objects.requireNonNull(b.verifiers, "verifier is required (setVerifier)");
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer is required (setTokenizer)");
        this.drafters = Objects.requireNonNull(b.drafters, "drafter is required (setDrafter)");
        this.config = Objects.requireNonNull(b.config, "config");
        this.maxDraft = b.maxDraft;
        this.pipeline = b.pipeline;
        this.policy = choosePolicy(b);
        // a policy that decides where drafting stops (R2R) is the request's stop rule; else the controller
        CandidateLengthController rule = policy.stopRule(maxDraft);
        this.controllers = rule != null ? () -> rule : b.controllers;
        CandidateLengthController probe = controllers == null ? null : controllers.get();
        this.controllerName = probe == null ? null : probe.name();
    }

    /** The request's policy: lossless for its sampling unless a lossy one was opted into by name. */
    private AcceptancePolicy choosePolicy(Builder b) {
        io.specdec.sampling.SamplingConfig s = config.sampling();
        if (b.lossyPolicy != null) {
            if (b.policy != null) {
                throw new IllegalArgumentException("optPolicy and optLossyPolicy are exclusive: choose one");
            }
            if (b.lossyPolicy.isLossless()) {
                throw new IllegalArgumentException("optLossyPolicy is for lossy policies; " + b.lossyPolicy.name()
                        + " is lossless: pass it to optPolicy");
            }
            if (!b.lossyPolicy.supports(s)) {
                throw new IllegalArgumentException(b.lossyPolicy.name() + " does not apply to " + s);
            }
            return b.lossyPolicy;
        }
        if (b.policy == null) {
            return verifiers.losslessPolicy(s);
        }
        if (!b.policy.isLossless()) {
            throw new IllegalArgumentException(b.policy.name() + " changes the output distribution: opt in with"
                    + " optLossyPolicy, or leave the policy to the decoder (lossless for the sampling config)");
        }
        if (!b.policy.supports(s)) {
            throw new IllegalArgumentException(b.policy.name() + " cannot keep " + s + " lossless (it would emit"
                    + " the target's argmax); leave the policy unset to get rejection sampling");
        }
        return b.policy;
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

    /** Whether requests draft the next round during verification (LLMCad's pipeline; see Builder#optPipeline). */
    public boolean pipeline() {
        return pipeline;
    }

    /** The name of the controller each request gets (null: none, plain autoregressive rounds). */
    public String controllerName() {
        return controllerName;
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
        private final CandidateLengthController controller;
        private final TokenSampler sampler;
        private final SpeculationStats.Recorder recorder = new SpeculationStats.Recorder();
        private OutputRequest outputs;
        private float[][] lastRows;
        private int[] history;
        private int length;
        /** The lookahead drafting during this round's verification, and the chain it assumed accepted. */
        private java.util.concurrent.Future<DraftTree> ahead;
        /** The next round's proposal when the last round's lookahead guessed right (else null). */
        private DraftTree ready;

        SpecStep(int[] prompt) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("empty prompt: at least one token (e.g. BOS) is needed");
            }
            int ctx = verifiers.contextLength();
            if (prompt.length > ctx) {
                throw new IllegalArgumentException("prompt has " + prompt.length
                        + " tokens but the model's context holds " + ctx);
            }
            int vocab = verifiers.target().config().vocabSize();
            for (int id : prompt) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("prompt token id " + id + " outside vocabulary 0.." + (vocab - 1));
                }
            }
            CandidateLengthController ctl = controllers == null ? null : controllers.get();
            if (ctl != null) {
                ctl.begin(config.sampling());
            }
            int capacity = (int) Math.min(ctx, (long) prompt.length + config.maxNewTokens() + maxDraft + 1);
            this.sampler = new TokenSampler(config.sampling());
            if (!policy.isLossless()) {
                recorder.lossy(policy.name());
            }
            this.history = Arrays.copyOf(prompt, prompt.length + 64);
            this.length = prompt.length;
            Verifier v = verifiers.create(capacity);
            Drafter d = null;
            try {
                Drafter made = drafters.create();
                if (!IN_USE.add(made)) {
                    throw new IllegalStateException("the drafter factory returned a drafter that is serving another"
                            + " request: a drafter keeps per-request state, so the factory must make a new one per"
                            + " request");
                }
                d = made;
                if (d.vocabSize() != v.vocabSize()) {
                    throw new IllegalArgumentException("draft/target vocabulary mismatch: drafter has " + d.vocabSize()
                            + " tokens, target " + v.vocabSize());
                }
                Tokenizer dt = d.tokenizer();
                if (dt != null && !checkedVocabularies.contains(dt)) {
                    Vocabularies.requireSame(tokenizer, dt);
                    checkedVocabularies.add(dt);
                }
                OutputRequest wanted = d.targetOutputs();
                if (policy.targetOutputs().lastHidden() && !wanted.lastHidden()) {
                    wanted = new OutputRequest(true, wanted.hiddenLayers());
                }
                this.outputs = wanted;
                ForwardResult pre = v.prefill(Arrays.copyOf(prompt, prompt.length - 1), outputs);
                try {
                    d.begin(new PromptContext(prompt, pre, v.target(), capacity, config.sampling()));
                } finally {
                    if (pre != null) {
                        pre.close();
                    }
                }
            } catch (RuntimeException e) {
                if (d != null) {
                    try {
                        d.close();
                    } finally {
                        IN_USE.remove(d);
                    }
                }
                v.close();
                throw e;
            }
            this.verifier = v;
            this.drafter = d;
            this.controller = ctl;
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
            DraftTree prepared = ready;
            ready = null;
            if (budget > 0) {
                if (prepared != null && prepared.size() > 0) {
                    tree = prepared.chainSlice(0, budget); // drafted ahead during the last verification
                } else {
                    DraftContext ctx = new DraftContext(history, length, config.sampling(),
                            LogitsProcessors.of(config.sampling()), sampler.rng(), budget, controller);
                    tree = drafter.propose(ctx);
                }
                if (tree.size() > budget) {
                    throw new IllegalStateException("drafter proposed " + tree.size() + " nodes for a budget of "
                            + budget);
                }
                tree = DraftGate.apply(controller, tree);
            }
            startLookahead(tree, budget);
            long t1 = System.nanoTime();
            RoundLayout layout = new RoundLayout(history[length - 1], tree, verifier.length());
            try (ForwardResult verified = verifier.verify(layout, outputs)) {
                AcceptancePolicy.Acceptance acc = null;
                long t2 = 0;
                boolean hiddenWalk = policy.targetOutputs().lastHidden();
                if (!hiddenWalk && config.sampling().isGreedy() && config.sampling().repetitionPenalty() == 1f) {
                    // greedy processors keep the argmax: only the argmax ids come to the host
                    int[] ids = verified.argmaxRows();
                    t2 = System.nanoTime();
                    acc = policy.walkArgmax(tree, node -> ids[layout.row(node)]);
                }
                if (acc == null) {
                    float[] logits = verified.logits();
                    t2 = System.nanoTime();
                    int vocab = verifier.vocabSize();
                    if (hiddenWalk) {
                        float[] h = verified.lastHidden();
                        int dim = h.length / Math.max(1, layout.rows());
                        acc = policy.walk(tree, node -> distribution(logits, vocab, layout, node),
                                node -> Arrays.copyOfRange(h, layout.row(node) * dim, (layout.row(node) + 1) * dim),
                                sampler.rng());
                    } else {
                        acc = policy.walk(tree, node -> distribution(logits, vocab, layout, node), sampler.rng());
                    }
                }
                verifier.commit(acc.acceptedNodes());
                int[] emitted = new int[acc.acceptedNodes().length + 1];
                for (int i = 0; i < acc.acceptedNodes().length; i++) {
                    emitted[i] = tree.token(acc.acceptedNodes()[i]);
                }
                emitted[emitted.length - 1] = acc.nextToken();
                if (config.logprobs() > 0) {
                    float[] all = verified.logits();
                    int vocab = verifier.vocabSize();
                    lastRows = new float[emitted.length][];
                    for (int i = 0; i < emitted.length; i++) {
                        int parent = i == 0 ? -1 : acc.acceptedNodes()[i - 1];
                        int off = layout.logitsOffset(parent, vocab);
                        lastRows[i] = Arrays.copyOfRange(all, off, off + vocab);
                    }
                }
                for (int id : emitted) {
                    if (length == history.length) {
                        history = Arrays.copyOf(history, length * 2);
                    }
                    history[length++] = id;
                }
                long wait = System.nanoTime();
                ready = joinLookahead(tree, acc);
                wait = System.nanoTime() - wait;
                RoundResult r = new RoundResult(layout, acc.acceptedNodes(), emitted, verified, t1 - t0, t2 - t1);
                drafter.observe(r);
                if (controller != null) {
                    controller.observe(r);
                }
                recorder.record(r.tree().size(), r.accepted(), r.emittedCount(), r.tree().maxDepth(),
                        r.draftNanos() + wait, r.verifyNanos(), System.nanoTime() - t0);
                return emitted.length <= max ? emitted : Arrays.copyOf(emitted, max);
            }
        }

        /**
         * LLMCad's pipeline: while the target verifies {@code tree} (a chain), the drafter drafts on another thread
         * from the sequence the chain gives if every token is accepted, one token more than the round's budget: that
         * first token is its guess of the target's bonus token, the rest the next round's proposal. No controller
         * runs inside the lookahead (its verdicts are applied when the proposal is used), and sampled drafts use a
         * stream split from the request's RNG, so the request's own draws are never shared between threads.
         */
        private void startLookahead(DraftTree tree, int budget) {
            if (!pipeline || tree.size() == 0 || !tree.isChain() || !drafter.supportsLookahead()) {
                return;
            }
            int n = tree.size();
            // room in the target for this round, the next one and its bonus row
            int k = Math.min(budget + 1, Math.min(maxDraft + 1, verifier.remaining() - n - 2));
            if (k < 2) {
                return;
            }
            int[] seq = Arrays.copyOf(history, length + n);
            for (int i = 0; i < n; i++) {
                seq[length + i] = tree.token(i);
            }
            DraftContext ctx = new DraftContext(seq, seq.length, config.sampling(),
                    LogitsProcessors.of(config.sampling()), sampler.rng().split(), k, null);
            ahead = LOOKAHEAD.submit(() -> drafter.propose(ctx));
        }

        /**
         * Waits for the lookahead (if one ran) and returns the next round's proposal when it guessed this round's
         * outcome (every token of the chain accepted and the bonus token equal to its first token), else null.
         */
        private DraftTree joinLookahead(DraftTree tree, AcceptancePolicy.Acceptance acc) {
            java.util.concurrent.Future<DraftTree> f = ahead;
            if (f == null) {
                return null;
            }
            ahead = null;
            DraftTree next;
            try {
                next = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the lookahead draft", e);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                if (c instanceof Error er) {
                    throw er;
                }
                throw new IllegalStateException("lookahead draft failed: " + c, c);
            }
            boolean hit = next.size() >= 2 && next.isChain() && acc.acceptedNodes().length == tree.size()
                    && acc.nextToken() == next.token(0);
            recorder.lookahead(hit);
            return hit ? next.chainSlice(1, next.size() - 1) : null;
        }

        /** Waits for a lookahead still running (its drafter must not be closed under it); ignores its outcome. */
        private void awaitLookahead() {
            java.util.concurrent.Future<DraftTree> f = ahead;
            ahead = null;
            if (f == null) {
                return;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    break; // the round that started it has failed already; nothing to use
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Target distribution at {@code node} (-1 = root) with the request's processors and the path as history. */
        private float[] distribution(float[] logits, int vocab, RoundLayout layout, int node) {
            DraftTree tree = layout.tree();
            int off = layout.logitsOffset(node, vocab);
            float[] row = Arrays.copyOfRange(logits, off, off + vocab);
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
        public float[][] lastLogits() {
            return lastRows;
        }

        @Override
        public void close() {
            try {
                awaitLookahead();
                drafter.close();
            } finally {
                IN_USE.remove(drafter);
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
        private AcceptancePolicy lossyPolicy;
        private java.util.function.Supplier<? extends CandidateLengthController> controllers =
                () -> LengthControllers.fixed(4);
        private GenerationConfig config = GenerationConfig.defaults();
        private int maxDraft = 128;
        private boolean pipeline;

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

        /**
         * A lossless acceptance policy to use instead of the default; default: derived from the config's sampling
         * (greedy acceptance when greedy, rejection sampling otherwise). {@link #build()} fails if the policy is
         * lossy or cannot keep the config's sampling lossless (greedy acceptance under T &gt; 0).
         */
        public Builder optPolicy(AcceptancePolicy p) {
            this.policy = p;
            return this;
        }

        /**
         * Opts into a lossy policy by name (e.g. typical acceptance): the output distribution is no longer the
         * target's. {@link #build()} fails if the policy is in fact lossless.
         */
        public Builder optLossyPolicy(AcceptancePolicy p) {
            this.lossyPolicy = p;
            return this;
        }

        /**
         * One draft length controller shared by every request (its state then pools them; it must be thread-safe
         * if requests run concurrently): prefer {@link #optControllerFactory}. Default: static K = 4.
         */
        public Builder optController(CandidateLengthController c) {
            this.controllers = c == null ? null : () -> c;
            return this;
        }

        /** Makes one controller per request (null: none, every round autoregressive). Default: static K = 4. */
        public Builder optControllerFactory(java.util.function.Supplier<? extends CandidateLengthController> f) {
            this.controllers = f;
            return this;
        }

        /** Limits and sampling (the acceptance policy follows it); default {@link GenerationConfig#defaults()}. */
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

        /**
         * LLMCad's compute pipeline (Xu et al. 2023; ALGORITHMS.md §9): while the target verifies a chain, the
         * drafter drafts the next round on another thread from its own guess of the outcome (the whole chain accepted
         * plus its next token as the bonus); when the guess is right the next proposal is ready, else it is dropped.
         * Lossless (verification is unchanged); applies to drafters that {@link Drafter#supportsLookahead()} and to
         * chain proposals. The drafter's thread competes with the kernels' threads for cores: measure it
         * ({@code bench --pipeline on,off}). Default false.
         */
        public Builder optPipeline(boolean on) {
            this.pipeline = on;
            return this;
        }

        public SpeculativeDecoder build() {
            return new SpeculativeDecoder(this);
        }
    }
}
