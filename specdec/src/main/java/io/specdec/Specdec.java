package io.specdec;

import io.specdec.chat.ChatMessage;
import io.specdec.chat.ChatPrompt;
import io.specdec.chat.ChatTemplate;
import io.specdec.chat.ChatTemplates;
import io.specdec.chat.Conversation;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.TextGenerator;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.Tokenizer;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one entry point: a model path (and optionally a drafter by name) to streaming text, plain or speculative, with
 * the registry's lossless defaults. In the spirit of DJL's {@code Criteria → Predictor} and java-llama.cpp's
 * {@code ModelParameters.setModelDraft}:
 *
 * <pre>{@code
 * try (Specdec lm = Specdec.builder().setModel(Path.of("stories260K.gguf"))
 *         .optDraftModel(Path.of("draft43K.gguf")).optMaxNewTokens(64).build()) {
 *     GenerationResult r = lm.generate("Once upon a time", t -> System.out.print(t.text()));
 *     System.out.println(r.speculation()); // τ, acceptance, time split
 * }
 * }</pre>
 *
 * Any registered drafter ({@link Drafters#names()}) is picked with {@link Builder#optDrafter(String)} and configured
 * with {@link Builder#optDrafterOption(String, String)} (the same names and defaults as the CLI's options). Without a
 * drafter it decodes autoregressively. The output is exactly the model's alone: identical tokens when greedy, the
 * identical distribution when sampling. Owns the loaded models (native memory): close it. Thread safety: as
 * {@link SpeculativeDecoder} — concurrent requests need a controller per request, so use one instance per thread
 * with speculation.
 */
public final class Specdec implements TextGenerator, AutoCloseable {
    private final LoadedModel loaded;
    private final LlamaModel model;
    private final DrafterSetup setup;
    private final TextGenerator generator;
    /** The decoder itself (for its controller's name); {@link #generator} is it, tracked. */
    private final TextGenerator untracked;
    private final java.util.function.Function<io.specdec.model.CausalLM, TextGenerator> generatorOn;
    private final java.util.function.BiFunction<io.specdec.model.CausalLM, GenerationConfig, TextGenerator> factory;
    /** The lossy rule in force (set by the builder before the object is handed out), or null. */
    private String lossy;
    private final ChatTemplate chatTemplate;
    /** The continuous-batching view of {@link #model}, or null when batching is off. */
    private final io.specdec.model.BatchedModel batched;
    /** Bytes of KV cache the generations may hold together (0: no limit); see {@link Builder#optMemoryBudget}. */
    private final long memoryBudget;
    /** The decoder's tree headroom per round (0 without a drafter). */
    private final int maxDraft;
    private long reserved; // guarded by this: KV bytes admitted and not yet released
    private long peakReserved; // guarded by this
    /** What generations run on: {@link #batched} when on, else {@link #model}. */
    private final io.specdec.model.CausalLM target;

    private final java.util.Set<Generation> active = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<Conversation> conversations = java.util.Collections.newSetFromMap(
            new java.util.WeakHashMap<>());
    private int starting; // guarded by this
    private boolean closed; // guarded by this
    /** How long {@link #close()} waits for running generations to stop. */
    static final long CLOSE_WAIT_MILLIS = 30_000;

    private Specdec(LoadedModel loaded, LlamaModel model, DrafterSetup setup,
            java.util.function.BiFunction<io.specdec.model.CausalLM, GenerationConfig, TextGenerator> factory,
            GenerationConfig cfg, ChatTemplate chat, io.specdec.model.BatchedModel batched, long memoryBudget,
            int maxDraft) {
        this.loaded = loaded;
        this.memoryBudget = memoryBudget;
        this.maxDraft = maxDraft;
        this.model = model;
        this.batched = batched;
        this.target = batched != null ? batched : model;
        this.setup = setup;
        this.factory = factory;
        this.generatorOn = t -> tracked(factory.apply(t, cfg));
        this.untracked = factory.apply(target, cfg);
        this.generator = tracked(untracked);
        this.chatTemplate = chat;
    }

    /** {@code inner} with every generation it starts registered, so {@link #close()} can stop them first. */
    private TextGenerator tracked(TextGenerator inner) {
        return new TextGenerator() {
            @Override
            public Generation start(int[] promptIds) {
                return startTracked(inner, promptIds);
            }

            @Override
            public Tokenizer tokenizer() {
                return inner.tokenizer();
            }

            @Override
            public GenerationConfig config() {
                return inner.config();
            }
        };
    }

    private Generation startTracked(TextGenerator inner, int[] promptIds) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(loaded.path() + ": the model is closed; build a new Specdec");
            }
            starting++;
        }
        long[] held = {0};
        try {
            TextGenerator chosen = memoryBudget > 0 ? admit(inner, promptIds.length, held) : inner;
            Generation g = chosen.start(promptIds);
            long mine = held[0];
            held[0] = 0; // from here the release hook gives it back
            active.add(g);
            g.onRelease(() -> {
                active.remove(g);
                synchronized (Specdec.this) {
                    reserved -= mine;
                    Specdec.this.notifyAll();
                }
            });
            return g;
        } finally {
            synchronized (this) {
                starting--;
                if (held[0] > 0) { // admitted but the start failed: give the memory back
                    reserved -= held[0];
                }
                notifyAll();
            }
        }
    }

    /**
     * SpecMemo-style admission under {@link Builder#optMemoryBudget}: a request gets speculative decoding when its
     * KV caches — the target's for {@code prompt + maxNewTokens + maxDraft + 1} rows and the draft model's for as
     * many — fit beside what is admitted; else plain decoding (the target's cache only, no tree headroom) when that
     * fits — the output is the same either way; else it waits for a generation to end. Sets {@code held[0]} to the
     * bytes reserved.
     */
    private TextGenerator admit(TextGenerator inner, int promptLength, long[] held) {
        GenerationConfig c = inner.config();
        var tc = model.config();
        int ctx = tc.contextLength();
        int arCap = (int) Math.min(ctx, (long) promptLength + c.maxNewTokens());
        long arNeed = io.specdec.model.KvCache.bytes(tc, Math.max(1, arCap));
        long specNeed = arNeed;
        if (setup != null) {
            int specCap = (int) Math.min(ctx, (long) promptLength + c.maxNewTokens() + maxDraft + 1);
            specNeed = io.specdec.model.KvCache.bytes(tc, specCap) + setup.draftModelIfAny()
                    .map(d -> io.specdec.model.KvCache.bytes(d.config(), specCap)).orElse(0L);
        }
        if (arNeed > memoryBudget) {
            throw new IllegalArgumentException("the request needs " + arNeed + " bytes of KV cache, more than the"
                    + " memory budget of " + memoryBudget + " bytes");
        }
        synchronized (this) {
            while (true) {
                if (closed) {
                    throw new IllegalStateException(loaded.path() + ": the model is closed; build a new Specdec");
                }
                if (reserved + specNeed <= memoryBudget) {
                    held[0] = specNeed;
                    break;
                }
                if (setup != null && reserved + arNeed <= memoryBudget) {
                    held[0] = arNeed;
                    break;
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for KV memory", e);
                }
            }
            reserved += held[0];
            peakReserved = Math.max(peakReserved, reserved);
        }
        if (held[0] == specNeed) {
            return inner;
        }
        return AutoregressiveGenerator.builder().setModel(target).setTokenizer(inner.tokenizer()).optConfig(c)
                .build();
    }

    /**
     * KV-cache bytes now admitted and the most admitted at once, under {@link Builder#optMemoryBudget}: {@code {now,
     * peak}} (both 0 without a budget).
     */
    public synchronized long[] memoryReserved() {
        return new long[] {reserved, peakReserved};
    }

    /**
     * The chat template used by {@link #chat} and {@link #conversation()}: the one chosen with
     * {@link Builder#optChatTemplate(String)}, else the checkpoint's own.
     *
     * @throws IllegalStateException (one line) if neither exists
     */
    public ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            throw new IllegalStateException(loaded.path() + " has no chat template; choose one with optChatTemplate"
                    + " (built-in: " + String.join(", ", ChatTemplate.builtinNames()) + ", or a .jinja file) or"
                    + " --chat-template");
        }
        return chatTemplate;
    }

    /**
     * A generator with another config (limits, stop strings, sampling, log-probabilities) on the same model and
     * drafter — what a server does per request. Its generations are tracked like this object's own (see
     * {@link #close()}). Cheap: nothing is loaded.
     */
    public TextGenerator withConfig(GenerationConfig config) {
        return tracked(factory.apply(target, config));
    }

    /** As {@link #startChat(List)} with a per-request config. */
    public Generation startChat(List<ChatMessage> messages, GenerationConfig config) {
        TextGenerator g = withConfig(config);
        return g.start(ChatPrompt.encode(chatTemplate(), g.tokenizer(), messages, config.addBos()));
    }

    /**
     * Starts a streaming chat reply to {@code messages} (no history kept; see {@link #conversation()}): the template
     * lays them out, and generation ends at the model's end-of-turn token. Every drafter and controller works as with
     * {@link #start(String)}.
     */
    public Generation startChat(List<ChatMessage> messages) {
        return start(ChatPrompt.encode(chatTemplate(), tokenizer(), messages, config().addBos()));
    }

    /** Replies to {@code messages} to the end. */
    public GenerationResult chat(List<ChatMessage> messages) {
        try (Generation g = startChat(messages)) {
            return g.result();
        }
    }

    /** Replies to {@code messages}, calling {@code onToken} for each token as it comes. */
    public GenerationResult chat(List<ChatMessage> messages, java.util.function.Consumer<GeneratedToken> onToken) {
        try (Generation g = startChat(messages)) {
            while (g.hasNext()) {
                onToken.accept(g.next());
            }
            return g.result();
        }
    }

    /**
     * A multi-turn conversation that keeps its history and the KV cache of what it has already run, so each turn
     * prefills only its new tokens. Close it to free that cache (before closing this).
     */
    public Conversation conversation() {
        int ctx = model.config().contextLength();
        Conversation c = new Conversation(chatTemplate(), model, generatorOn, config().addBos(), ctx);
        synchronized (this) {
            if (closed) {
                c.close();
                throw new IllegalStateException(loaded.path() + ": the model is closed; build a new Specdec");
            }
            conversations.add(c);
        }
        return c;
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Generation start(int[] promptIds) {
        return generator.start(promptIds);
    }

    @Override
    public Tokenizer tokenizer() {
        return generator.tokenizer();
    }

    @Override
    public GenerationConfig config() {
        return generator.config();
    }

    /** The continuous-batching view generations run on, when {@link Builder#optBatching(boolean)} turned it on. */
    public java.util.Optional<io.specdec.model.BatchedModel> batching() {
        return java.util.Optional.ofNullable(batched);
    }

    /** The loaded target model. */
    public LlamaModel model() {
        return model;
    }

    /** The checkpoint as loaded (format, config, tokenizer). */
    public LoadedModel checkpoint() {
        return loaded;
    }

    /**
     * The name of the draft-length controller each request gets (e.g. {@code static(3)}, {@code specdec++(h=0.60)}),
     * or null for plain decoding.
     */
    public String controllerName() {
        return untracked instanceof SpeculativeDecoder d ? d.controllerName() : null;
    }

    /** The lossy acceptance rule in force ({@code NAME:KNOB}, {@link Builder#optLossy}), or null: lossless. */
    public String lossy() {
        return lossy;
    }

    /** The drafter as its provider built it (shape, budget, memory), or null for plain decoding. */
    public DrafterSetup drafter() {
        return setup;
    }

    /**
     * Stops every generation first — each is cancelled, and one running a forward stops when that forward returns —
     * waiting up to 30 s, then closes open conversations and frees the drafter and the model. Generations started
     * after this get a one-line {@link IllegalStateException}. If a generation is still running after the wait, the
     * native memory is left to the garbage collector rather than freed under a running forward (which aborted the
     * JVM in libtorch), and this throws. Idempotent; any thread.
     */
    @Override
    public void close() {
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MILLIS;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            waitUntil(() -> starting == 0, deadline);
        }
        for (Generation g : active) {
            g.cancel();
        }
        boolean stopped;
        synchronized (this) {
            stopped = waitUntil(() -> active.isEmpty() && starting == 0, deadline);
        }
        if (!stopped) {
            throw new IllegalStateException(loaded.path() + ": " + active.size() + " generation(s) still running "
                    + CLOSE_WAIT_MILLIS / 1000 + " s after close(); the model was not freed");
        }
        java.util.List<Conversation> open;
        synchronized (this) {
            open = new java.util.ArrayList<>(conversations);
            conversations.clear();
        }
        open.forEach(Conversation::close);
        try {
            if (setup != null) {
                setup.close();
            }
        } finally {
            model.close();
            loaded.close();
        }
    }

    /** Waits on this object's monitor (held by the caller) until {@code done} or the deadline; true if done. */
    private boolean waitUntil(java.util.function.BooleanSupplier done, long deadline) {
        while (!done.getAsBoolean()) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            try {
                wait(Math.min(left, 50));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }

    /** Builder. Not thread-safe. */
    public static final class Builder {
        private Path modelPath;
        private String drafter;
        private final Map<String, String> options = new LinkedHashMap<>();
        private GenerationConfig config;
        private SamplingConfig sampling;
        private Integer maxNewTokens;
        private String controller;
        private final Map<String, String> controllerOptions = new LinkedHashMap<>();
        private List<String> calibration = List.of("Once upon a time");
        private Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "specdec-cache");
        private String chatTemplate;
        private boolean batching;
        private long memoryBudget;
        private io.specdec.speculation.SpeculativeDecoder.Pipeline pipeline =
                io.specdec.speculation.SpeculativeDecoder.Pipeline.OFF;
        private io.specdec.verify.LossyPolicies.Spec lossy;
        private Path lossyHead;

        /**
         * <b>LOSSY opt-in</b> (default none: every output is exactly the model's): a named lossy acceptance rule,
         * {@code NAME[:KNOB]} — {@code typical[:ε]}, {@code lantern[:δ]}, {@code judge[:threshold]} or
         * {@code r2r[:threshold]} ({@link io.specdec.verify.LossyPolicies}; quality figures in docs/SEED_SYSTEMS.md).
         * It applies to the requests whose sampling it is defined for (LANTERN: sampled; Judge Decoding and R2R:
         * greedy; typical: both, exactly lossless when greedy); other requests decode losslessly. Judge Decoding and
         * R2R need their head ({@link #optLossyHead}); R2R's router also decides where drafting stops.
         *
         * @throws IllegalArgumentException naming the rule when the spec is malformed
         */
        public Builder optLossy(String spec) {
            this.lossy = io.specdec.verify.LossyPolicies.Spec.parse(spec);
            return this;
        }

        /** The judge head ({@code train-judge}) or router ({@code train-judge --draft-features}) for {@link #optLossy}. */
        public Builder optLossyHead(Path file) {
            this.lossyHead = file;
            return this;
        }

        /**
         * LLMCad's pipeline (default {@code OFF}): the drafter drafts the next round on another thread while the
         * target verifies, from its own guess of the outcome; lossless. {@code AUTO} turns it on only when the
         * machine has a core beyond the kernels' threads (where it was measured to pay; docs/SEED_SYSTEMS.md). Applies to
         * drafters that support lookahead (the draft model, chain mode).
         */
        public Builder optPipeline(io.specdec.speculation.SpeculativeDecoder.Pipeline p) {
            this.pipeline = java.util.Objects.requireNonNull(p, "pipeline");
            return this;
        }

        /**
         * A budget for the KV caches of all running generations together, in bytes (default 0: none) — SpecMemo's
         * memory side: a request runs speculatively when its caches (the target's with the draft tree's headroom,
         * and the draft model's) fit beside the others', autoregressively when only the target's fits (same
         * output), and otherwise waits for a generation to end; one that cannot fit even alone is a one-line error.
         */
        public Builder optMemoryBudget(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("memory budget must be >= 0 bytes, found " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * Continuous batching (default off): generations running at the same time on this object — a server's
         * concurrent requests — share one target forward per round ({@link io.specdec.model.BatchedModel}), each
         * weight read once for all of them; every generation's output stays exactly its single-sequence output.
         * Worth it when several requests run at once; a lone generation waits for nobody. With a draft model and no
         * controller chosen, each request's draft length follows the batch
         * ({@link io.specdec.speculation.BatchBudget}, from the two models' measured cost curves, cached in
         * {@link #optCacheDir}): speculation shrinks as the batch grows and stops where it no longer pays.
         */
        public Builder optBatching(boolean on) {
            this.batching = on;
            return this;
        }

        /**
         * The chat template: a built-in name ({@link ChatTemplate#builtinNames()}) or a {@code .jinja} file; default
         * the checkpoint's own ({@code tokenizer.chat_template}, {@code tokenizer_config.json}).
         */
        public Builder optChatTemplate(String nameOrFile) {
            this.chatTemplate = nameOrFile;
            return this;
        }

        /** The target checkpoint: a GGUF file, a Hugging Face directory or a llama2.c {@code .bin} (required). */
        public Builder setModel(Path path) {
            this.modelPath = path;
            return this;
        }

        /** A registered drafter by name (e.g. {@code "draft-model"}, {@code "recycling"}); default none (plain). */
        public Builder optDrafter(String name) {
            this.drafter = name;
            return this;
        }

        /** A drafter option ({@code --name value} on the CLI, without the dashes); defaults as documented there. */
        public Builder optDrafterOption(String name, String value) {
            options.put(name, value);
            return this;
        }

        /** Speculation with a draft model: selects the {@code draft-model} drafter with this checkpoint. */
        public Builder optDraftModel(Path draft) {
            if (drafter == null) {
                drafter = "draft-model";
            }
            options.put("draft-model", draft.toString());
            return this;
        }

        /** Limits and sampling; default {@link GenerationConfig#defaults()}. */
        public Builder optConfig(GenerationConfig c) {
            this.config = c;
            return this;
        }

        /** Sampling (replaces the config's); default greedy. */
        public Builder optSampling(SamplingConfig s) {
            this.sampling = s;
            return this;
        }

        /** New tokens at most (replaces the config's). */
        public Builder optMaxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Length controller from the controller registry ({@link io.specdec.speculation.Controllers}): {@code static},
         * {@code static:K}, {@code heuristic}, {@code confidence[:P]}, {@code goodput}, {@code specdec++[:H]} (with
         * {@code optControllerOption("acceptance-head", path)}), or any registered one; default the drafter's
         * preference (static at its sized budget).
         */
        public Builder optController(String name) {
            this.controller = name;
            return this;
        }

        /**
         * A controller option ({@code --name value} on the CLI, without the dashes), e.g. {@code acceptance-head},
         * {@code threshold}, {@code k-min}, {@code confidence}; checked against the controller's declared options.
         */
        public Builder optControllerOption(String name, String value) {
            controllerOptions.put(name, value);
            return this;
        }

        /** Prompts a drafter may use to size itself ({@code auto} options); default one generic story opening. */
        public Builder optCalibrationPrompts(List<String> prompts) {
            this.calibration = List.copyOf(prompts);
            return this;
        }

        /** Where measured cost curves are cached; default {@code $TMPDIR/specdec-cache}. */
        public Builder optCacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /**
         * Loads the model and builds the drafter.
         *
         * @throws IllegalArgumentException for bad values (named), {@link UncheckedIOException} for unreadable files
         */
        public Specdec build() {
            Objects.requireNonNull(modelPath, "the model path is required (setModel)");
            if (drafter == null && !options.isEmpty()) {
                throw new IllegalArgumentException("drafter options " + options.keySet() + " given without a"
                        + " drafter (optDrafter)");
            }
            if (drafter == null && controller != null) {
                throw new IllegalArgumentException("a controller (" + controller + ") needs a drafter (optDrafter)");
            }
            if (controller == null && !controllerOptions.isEmpty()) {
                throw new IllegalArgumentException("controller options " + controllerOptions.keySet() + " given"
                        + " without a controller (optController)");
            }
            if (controller != null) {
                io.specdec.speculation.Controllers.params(controller, controllerOptions); // fail before loading
            }
            GenerationConfig.Builder cb = config == null ? GenerationConfig.builder() : config.toBuilder();
            if (sampling != null) {
                cb.optSampling(sampling);
            }
            if (maxNewTokens != null) {
                cb.optMaxNewTokens(maxNewTokens);
            }
            GenerationConfig cfg = cb.build();
            LoadedModel lm = ModelLoader.load(modelPath);
            if (lm.tokenizer() == null) {
                throw new IllegalArgumentException(modelPath + ": the checkpoint has no tokenizer");
            }
            LlamaModel m = lm.newModel();
            DrafterSetup s = null;
            try {
                ChatTemplate chat = chatTemplate(lm);
                if (lossy != null && drafter == null) {
                    throw new IllegalArgumentException("optLossy(" + lossy + ") is an acceptance rule of speculative"
                            + " decoding: it needs a drafter (optDrafter / optDraftModel)");
                }
                if (lossy != null && lossy.needsHead() && lossyHead == null) {
                    throw new IllegalArgumentException("optLossy(" + lossy + ") needs its " + (lossy.name().equals(
                            "judge") ? "judge head (train-judge)" : "router (train-judge --draft-features)")
                            + ": optLossyHead(file)");
                }
                if (drafter == null) {
                    return new Specdec(lm, m, null, (t, c) -> AutoregressiveGenerator.builder().setModel(t)
                            .setTokenizer(lm.tokenizer()).optConfig(c).build(), cfg, chat, batchedView(m), memoryBudget, 0);
                }
                DrafterEnvironment env = new DrafterEnvironment(m, lm.tokenizer(), calibration, cacheDir, null,
                        batching);
                s = Drafters.create(drafter, env, options);
                DrafterSetup setup = s;
                io.specdec.model.BatchedModel bv = batchedView(m);
                java.util.function.Supplier<io.specdec.speculation.CandidateLengthController> controllers =
                        controller == null ? s.controller()
                                : io.specdec.speculation.Controllers.create(controller, controllerOptions,
                                        new io.specdec.speculation.ControllerContext(s, m, cacheDir));
                if (bv != null && controller == null && s.draftModelIfAny().isPresent()) {
                    // batched: the draft length follows the batch (speculation shrinks as it grows)
                    io.specdec.speculation.CostCurve ct = io.specdec.speculation.CostCurve.cached(m, cacheDir, 3);
                    io.specdec.speculation.CostCurve cd = io.specdec.speculation.CostCurve.cached(
                            s.draftModelIfAny().get(), cacheDir, 3);
                    int maxK = s.budget();
                    controllers = () -> new io.specdec.speculation.BatchBudget(bv::openSequences, ct, cd, maxK);
                }
                int maxDraft = Math.max(16, s.budget());
                java.util.function.Supplier<io.specdec.speculation.CandidateLengthController> chosen = controllers;
                boolean pipelined = pipeline.resolve(m.threads(), Runtime.getRuntime().availableProcessors());
                io.specdec.verify.LossyPolicies.Spec rule = lossy;
                io.specdec.verify.JudgeHead head = lossyHead == null || rule == null || !rule.needsHead() ? null
                        : io.specdec.verify.JudgeHead.load(lossyHead);
                if (rule != null) {
                    io.specdec.verify.LossyPolicies.requireFits(rule, head, m.config().dim(), s.featureWidth());
                }
                io.specdec.verify.LatentNeighbours nb = null;
                if (rule != null && rule.needsNeighbours()) {
                    try (ai.djl.ndarray.NDManager nd = io.specdec.engine.SpecdecEngine.newManager()) {
                        nb = io.specdec.verify.LatentNeighbours.of(m, nd,
                                io.specdec.verify.LossyPolicies.LANTERN_NEIGHBOURS);
                    }
                }
                io.specdec.verify.LatentNeighbours neighbours = nb;
                Specdec built = new Specdec(lm, m, setup, (t, c) -> {
                    io.specdec.speculation.SpeculativeDecoder.Builder db = Speculation.decoder(t, lm.tokenizer(),
                            setup.factory(), c).optControllerFactory(chosen).optMaxDraft(maxDraft)
                            .optPipeline(pipelined);
                    if (rule != null && rule.appliesTo(c.sampling())) {
                        db.optLossyPolicy(io.specdec.verify.LossyPolicies.create(rule, c.sampling(), neighbours,
                                head));
                    }
                    return db.build();
                }, cfg, chat, bv, memoryBudget, maxDraft);
                built.lossy = rule == null ? null : rule.toString();
                return built;
            } catch (IOException e) {
                close(s, m);
                throw new UncheckedIOException(e.getMessage(), e);
            } catch (RuntimeException e) {
                close(s, m);
                throw e;
            }
        }

        private io.specdec.model.BatchedModel batchedView(LlamaModel m) {
            return batching ? new io.specdec.model.BatchedModel(m) : null;
        }

        private ChatTemplate chatTemplate(LoadedModel lm) {
            return ChatTemplates.resolve(lm, chatTemplate).orElse(null);
        }

        private static void close(DrafterSetup s, LlamaModel m) {
            try {
                if (s != null) {
                    s.close();
                }
            } finally {
                m.close();
            }
        }
    }
}
