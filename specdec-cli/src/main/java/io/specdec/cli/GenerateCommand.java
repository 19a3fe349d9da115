package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import io.specdec.cli.suite.BenchPaths;
import io.specdec.demo.DemoModels;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterSetup;
import io.specdec.generate.SpeculationStats;
import io.specdec.verify.Speculation;
import io.specdec.speculation.SpeculativeDecoder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: streams a completion, autoregressive or speculative, with stats explained in words. */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Stream a completion; with a drafter, speculative decoding (the same tokens as plain decoding"
                + " when greedy, the same distribution when sampling).")
final class GenerateCommand extends Subcommand {
    @Mixin
    SamplingOptions samplingOptions;
    @Mixin
    DrafterCli drafting = new DrafterCli();

    @Option(names = "--model", paramLabel = "PATH", description = "GGUF file, Hugging Face directory or llama2.c"
            + " .bin; default: the embedded demo story model, with its distilled draft unless another drafter is"
            + " chosen (docs/DEMO.md)")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "default: empty (BOS only)")
    String prompt = "";

    @Option(names = {"--prompt-file", "-f"}, paramLabel = "FILE", description = "read the prompt from a UTF-8 file"
            + " (- for standard input) instead of --prompt")
    Path promptFile;

    @Option(names = "--chat", description = "treat the prompt as a user message and answer it with the model's chat"
            + " template (stops at the end of the assistant's turn)")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "with --chat: a system message first")
    String system;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "the chat template: a built-in"
            + " (chatml, llama3, llama2, mistral, gemma, phi3) or a .jinja file; default the model's own")
    String chatTemplate;

    @Option(names = {"--ctx-size", "-c"}, paramLabel = "N", description = "context positions (KV cache limit);"
            + " default the model's context length")
    Integer ctxSize;

    @Option(names = "--logprobs", paramLabel = "N", description = "with --json: the target's top-N log-probabilities"
            + " for every generated token (0..20; default 0)")
    int logprobs;

    @Option(names = "--max-tokens", paramLabel = "N", description = "new tokens at most; default 256")
    int maxTokens = 256;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when the output contains this (repeatable)")
    List<String> stop = new java.util.ArrayList<>();

    @Option(names = "--no-bos", description = "do not prepend BOS")
    boolean noBos;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed generations first (JIT, caches); default 0")
    int warmup;

    @Option(names = "--json", description = "print one JSON object (ids, text, finish reason, stats)")
    boolean json;

    @Option(names = "--typical-acceptance", description = "LOSSY: Medusa's typical acceptance (epsilon 0.09, delta"
            + " 0.3) instead of the lossless rule; the output no longer follows the model's distribution exactly")
    boolean typical;
    @CommandLine.Mixin
    LossyOptions lossyOptions = new LossyOptions();

    @Option(names = "--pipeline", paramLabel = "on|off|auto", description = "LLMCad's pipeline: draft the next round"
            + " on another thread while the target verifies (lossless); auto = on only when a core is free beside the"
            + " kernel threads; default off")
    String pipeline = "off";

    @Option(names = "--compare", description = "also run plain decoding on the same prompt and print the measured"
            + " speedup and whether the outputs are identical")
    boolean compare;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        configure();
        if (maxTokens < 1) {
            throw new CommandLine.ParameterException(cl, "--max-tokens must be >= 1, found " + maxTokens);
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(cl, "--warmup must be >= 0, found " + warmup);
        }
        if (logprobs < 0 || logprobs > 20) {
            throw new CommandLine.ParameterException(cl, "--logprobs must be in 0..20, found " + logprobs);
        }
        if (ctxSize != null && ctxSize < 1) {
            throw new CommandLine.ParameterException(cl, "--ctx-size must be >= 1, found " + ctxSize);
        }
        if (promptFile != null) {
            if (cl.getParseResult().hasMatchedOption("--prompt")) {
                throw new CommandLine.ParameterException(cl, "give the prompt with one of --prompt and --prompt-file");
            }
            prompt = promptFile.toString().equals("-")
                    ? new String(main.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    : String.join("\n", Subcommand.textLines(promptFile));
        }
        if (!chat && (system != null || chatTemplate != null)) {
            throw new CommandLine.ParameterException(cl, (system != null ? "--system" : "--chat-template")
                    + " needs --chat");
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "--stop must not be empty");
            }
        }
        if (model == null) {
            model = DemoModels.target();
            // the demo draft unless another drafter is chosen (by name, or by an option draft-model lacks)
            var owners = io.specdec.speculation.Drafters.optionOwners();
            boolean other = drafting.drafters != null ? !drafting.drafters.contains("draft-model")
                    : drafting.values.keySet().stream().anyMatch(o -> owners.get(o).stream()
                            .noneMatch(p -> p.name().equals("draft-model")));
            if (!other && !drafting.values.containsKey("draft-model")) {
                drafting.values.put("draft-model", DemoModels.draft().toString());
            }
            main.err.println("[no --model: the embedded demo story model" + (other ? "" : " and its distilled draft")
                    + " (docs/DEMO.md)]");
        }
        List<String> drafters = drafting.chosen(cl);
        if (drafters.size() > 1) {
            throw new CommandLine.ParameterException(cl, "generate runs one drafter; bench compares several");
        }
        if (compare && drafters.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--compare compares speculative with plain decoding: it"
                    + " needs a drafter");
        }
        String ctrl = drafters.isEmpty() ? null : drafting.controllers(cl, false).get(0);
        String lossy = lossyOptions.lossy;
        if (typical && lossy != null) {
            throw new CommandLine.ParameterException(cl, "--typical-acceptance and --lossy are exclusive: use --lossy"
                    + " typical[:EPS]");
        }
        io.specdec.verify.LossyPolicies.Spec lossySpec = lossyOptions.spec(cl, !drafters.isEmpty());
        if (lossySpec != null && lossySpec.name().equals("r2r") && drafting.controller != null) {
            throw new CommandLine.ParameterException(cl, "--lossy r2r drafts until its router routes a token to the"
                    + " target: it is its own stop rule, so drop --controller " + drafting.controller);
        }
        if (typical && drafters.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--typical-acceptance is an acceptance rule of speculative"
                    + " decoding and needs a drafter (--drafter)");
        }
        SamplingConfig sampling = samplingOptions.build(cl);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens)
                .optStopStrings(stop).optAddBos(!noBos).optSampling(sampling).optLogprobs(logprobs)
                .build();
        PrintStream out = main.out;
        PrintStream err = main.err;
        LoadedModel lm = Progress.load(model, err);
        if (lm.tokenizer() == null) {
            throw new IllegalArgumentException(model + ": the checkpoint has no tokenizer");
        }
        if (ctxSize != null && ctxSize > lm.config().contextLength()) {
            err.println("note: --ctx-size " + ctxSize + " exceeds the model's trained context of "
                    + lm.config().contextLength() + " positions: RoPE runs past its trained range");
        }
        try (LlamaModel m = ctxSize == null ? lm.newModel() : lm.newModel(io.specdec.model.Kernels.requested(),
                ctxSize)) {
            int[] promptIds = chat ? chatPrompt(lm, cfg) : lm.tokenizer().encode(prompt,
                    cfg.addBos() && lm.tokenizer().addBosByDefault());
            AutoregressiveGenerator plain = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(cfg).build();
            List<DrafterSetup> setups = drafting.setups(cl, drafters, m, lm.tokenizer(), List.of(prompt),
                    BenchPaths.cache(), err);
            try {
                TextGenerator gen = plain;
                DrafterSetup setup = setups.isEmpty() ? null : setups.get(0);
                if (setup != null) {
                    var controllers = drafting.controller(ctrl, setup, m, BenchPaths.cache());
                    var b = Speculation.decoder(m, lm.tokenizer(), setup.factory(), cfg)
                            .optControllerFactory(controllers)
                            .optMaxDraft(Math.max(16, setup.budget()));
                    SpeculativeDecoder.Pipeline pl;
                    try {
                        pl = SpeculativeDecoder.Pipeline.parse(pipeline);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cl, "--pipeline: " + e.getMessage());
                    }
                    b.optPipeline(pl.resolve(m.threads(), Runtime.getRuntime().availableProcessors()));
                    if (typical) {
                        err.println("note: --typical-acceptance is lossy: the output is not guaranteed to be what the"
                                + " model alone would produce");
                        b.optLossyPolicy(new io.specdec.verify.TypicalAcceptance(0.09f, 0.3f, sampling.isGreedy()));
                    } else if (lossy != null) {
                        b.optLossyPolicy(lossyPolicy(cl, lossySpec, m, setup.featureWidth(), sampling));
                        err.println("note: --lossy " + lossy + " is lossy: the output is not guaranteed to be what the"
                                + " model alone would produce");
                    }
                    gen = b.build();
                }
                for (int i = 0; i < warmup; i++) {
                    gen.start(promptIds).result();
                    if (compare) {
                        plain.start(promptIds).result();
                    }
                }
                GenerationResult r = stream(gen, promptIds, out);
                GenerationResult base = compare ? plain.start(promptIds).result() : null;
                if (json) {
                    Map<String, Object> o = toJson(prompt, r);
                    if (logprobs > 0) {
                        o.put("logprobs", logprobsJson(r, lm.tokenizer()));
                    }
                    if (base != null) {
                        o.put("plain", toJson(prompt, base).get("stats"));
                        o.put("speedup", r.stats().tokensPerSecond() / base.stats().tokensPerSecond());
                        o.put("identical", Arrays.equals(r.ids(), base.ids()));
                    }
                    out.println(Json.GSON.toJson(o));
                } else {
                    out.println();
                    err.printf(Locale.ROOT, "[%d prompt tokens, %d generated in %.3f s (prefill %.3f s): %.1f"
                            + " tokens/s, finish: %s, kernel: %s]%n", r.stats().promptTokens(),
                            r.stats().generatedTokens(), r.stats().totalSeconds(), r.stats().prefillSeconds(),
                            r.stats().tokensPerSecond(), r.finishReason(), m.kernel());
                    if (setup != null) {
                        err.println(explain(setup, ((SpeculativeDecoder) gen).controllerName(), r.speculation()));
                    }
                    if (base != null) {
                        err.printf(Locale.ROOT, "[plain decoding of the same prompt: %d tokens in %.3f s, %.1f"
                                + " tokens/s; speculative %.1f tokens/s: speedup %.2fx; outputs identical: %s]%n",
                                base.stats().generatedTokens(), base.stats().totalSeconds(),
                                base.stats().tokensPerSecond(), r.stats().tokensPerSecond(),
                                r.stats().tokensPerSecond() / base.stats().tokensPerSecond(),
                                Arrays.equals(r.ids(), base.ids()) ? "yes" : sampling.isGreedy() ? "NO"
                                        : "no (sampling: same distribution, other draws)");
                    }
                }
            } finally {
                setups.forEach(DrafterSetup::close);
            }
        }
        return 0;
    }

    /** The chat prompt: the system and user messages through the chosen (or the model's own) template. */
    private int[] chatPrompt(LoadedModel lm, GenerationConfig cfg) throws java.io.IOException {
        io.specdec.chat.ChatTemplate t = chatTemplate(lm, chatTemplate);
        List<io.specdec.chat.ChatMessage> msgs = new java.util.ArrayList<>();
        if (system != null) {
            msgs.add(io.specdec.chat.ChatMessage.system(system));
        }
        msgs.add(io.specdec.chat.ChatMessage.user(prompt));
        return io.specdec.chat.ChatPrompt.encode(t, lm.tokenizer(), msgs, cfg.addBos());
    }

    /** The template named by {@code choice} (built-in or .jinja file), else the checkpoint's own; one-line errors. */
    static io.specdec.chat.ChatTemplate chatTemplate(LoadedModel lm, String choice) {
        return io.specdec.chat.ChatTemplates.resolve(lm, choice).orElseThrow(() -> new IllegalArgumentException(
                lm.path() + " has no chat template; choose one with --chat-template (built-in: "
                        + String.join(", ", io.specdec.chat.ChatTemplate.builtinNames()) + ", or a .jinja file)"));
    }

    /** Per generated token: id, piece, logprob and the top alternatives (OpenAI's {@code logprobs.content}). */
    static List<Map<String, Object>> logprobsJson(GenerationResult r, io.specdec.tokenizer.Tokenizer tok) {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (int i = 0; i < r.logprobs().size(); i++) {
            io.specdec.generate.TokenLogprobs lp = r.logprobs().get(i);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", r.ids()[i]);
            t.put("token", tok.piece(r.ids()[i]));
            t.put("logprob", lp.logprob());
            List<Map<String, Object>> top = new java.util.ArrayList<>();
            for (int k = 0; k < lp.topIds().length; k++) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", lp.topIds()[k]);
                a.put("token", tok.piece(lp.topIds()[k]));
                a.put("logprob", lp.topLogprobs()[k]);
                top.add(a);
            }
            t.put("top_logprobs", top);
            out.add(t);
        }
        return out;
    }

    private GenerationResult stream(TextGenerator gen, int[] promptIds, PrintStream out) {
        try (Generation g = gen.start(promptIds)) {
            if (!json && !chat) {
                out.print(prompt);
                out.flush();
            }
            while (g.hasNext()) {
                GeneratedToken t = g.next();
                if (!json) {
                    out.print(t.text());
                    out.flush();
                }
            }
            return g.result();
        }
    }

    /** The lossy policy {@code --lossy} names, with its knob ({@link io.specdec.verify.LossyPolicies}). */
    private io.specdec.speculation.AcceptancePolicy lossyPolicy(CommandLine cl, io.specdec.verify.LossyPolicies.Spec spec,
            LlamaModel m, int draftFeatureWidth, SamplingConfig sampling) throws java.io.IOException {
        if (spec.name().equals("lantern") && sampling.isGreedy()) {
            throw new CommandLine.ParameterException(cl, "--lossy lantern relaxes sampled acceptance: give"
                    + " --temperature > 0 (a greedy target distribution is a point mass)");
        }
        if (spec.needsHead() && !sampling.isGreedy()) {
            throw new CommandLine.ParameterException(cl, "--lossy " + spec.name() + " applies to greedy decoding"
                    + " (--temperature 0)");
        }
        Path head = lossyOptions.head(cl, spec);
        try {
            io.specdec.verify.LatentNeighbours nb = null;
            if (spec.needsNeighbours()) {
                try (ai.djl.ndarray.NDManager nd = io.specdec.engine.SpecdecEngine.newManager()) {
                    nb = io.specdec.verify.LatentNeighbours.of(m, nd, io.specdec.verify.LossyPolicies.LANTERN_NEIGHBOURS);
                }
            }
            io.specdec.verify.JudgeHead h = head == null ? null : io.specdec.verify.JudgeHead.load(head);
            io.specdec.verify.LossyPolicies.requireFits(spec, h, m.config().dim(), draftFeatureWidth);
            return io.specdec.verify.LossyPolicies.create(spec, sampling, nb, h);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--lossy " + spec + ": " + e.getMessage());
        }
    }

    /** The speculation stats in words. */
    static String explain(DrafterSetup setup, String controller, SpeculationStats s) {
        double perRound = s.rounds() == 0 ? 0 : (double) s.drafted() / s.rounds();
        return String.format(Locale.ROOT, "[speculation with %s (%s), controller %s: %d target forwards (rounds)"
                + " produced %d tokens, τ = %.2f tokens per target forward (accepted draft tokens + 1 from the target"
                + " itself); %.1f tokens drafted per round, %d of %d accepted (acceptance %.2f); time: draft %.3f s,"
                + " verify %.3f s, bookkeeping %.3f s]", setup.name(), setup.shape(), controller, s.rounds(),
                s.emitted(), s.tau(), perRound, s.accepted(), s.drafted(), s.acceptanceRate(), s.draftSeconds(),
                s.verifySeconds(), s.bookkeepingSeconds())
                + (s.lookaheads() == 0 ? "" : String.format(Locale.ROOT, " [pipeline: %d of %d lookahead drafts used]",
                        s.lookaheadHits(), s.lookaheads()));
    }

    static Map<String, Object> toJson(String prompt, GenerationResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt", prompt);
        o.put("prompt_ids", r.promptIds());
        o.put("ids", r.ids());
        o.put("text", r.text());
        o.put("finish_reason", r.finishReason().name().toLowerCase(Locale.ROOT));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("prompt_tokens", r.stats().promptTokens());
        s.put("tokens", r.stats().generatedTokens());
        s.put("seconds", r.stats().totalSeconds());
        s.put("prefill_seconds", r.stats().prefillSeconds());
        s.put("decode_seconds", r.stats().decodeSeconds());
        s.put("tokens_per_s", r.stats().tokensPerSecond());
        if (r.speculation() != null) {
            SpeculationStats sp = r.speculation();
            s.put("rounds", sp.rounds());
            s.put("drafted", sp.drafted());
            s.put("accepted", sp.accepted());
            s.put("tau", sp.tau());
            s.put("acceptance_rate", sp.acceptanceRate());
            s.put("per_position_acceptance", sp.perPositionAcceptance());
            s.put("accepted_length_histogram", sp.acceptedLengthHistogram());
            s.put("draft_seconds", sp.draftSeconds());
            s.put("verify_seconds", sp.verifySeconds());
            s.put("bookkeeping_seconds", sp.bookkeepingSeconds());
            s.put("lookaheads", sp.lookaheads());
            s.put("lookahead_hits", sp.lookaheadHits());
            if (sp.lossy() != null) {
                s.put("lossy", sp.lossy());
            }
        }
        o.put("stats", s);
        return o;
    }
}
