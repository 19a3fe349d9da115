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
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterSetup;
import io.specdec.generate.SpeculationStats;
import io.specdec.verify.Speculation;
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

    @Option(names = "--max-tokens", paramLabel = "N", description = "new tokens at most; default 256")
    int maxTokens = 256;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when the output contains this")
    String stop;

    @Option(names = "--no-bos", description = "do not prepend BOS")
    boolean noBos;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed generations first (JIT, caches); default 0")
    int warmup;

    @Option(names = "--json", description = "print one JSON object (ids, text, finish reason, stats)")
    boolean json;

    @Option(names = "--typical-acceptance", description = "LOSSY: Medusa's typical acceptance (epsilon 0.09, delta"
            + " 0.3) instead of the lossless rule; the output no longer follows the model's distribution exactly")
    boolean typical;
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
        if (typical && drafters.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--typical-acceptance is an acceptance rule of speculative"
                    + " decoding and needs a drafter (--drafter)");
        }
        SamplingConfig sampling = samplingOptions.build(cl);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens)
                .optStopStrings(stop == null ? List.of() : List.of(stop)).optAddBos(!noBos).optSampling(sampling)
                .build();
        PrintStream out = main.out;
        PrintStream err = main.err;
        LoadedModel lm = Progress.load(model, err);
        if (lm.tokenizer() == null) {
            throw new IllegalArgumentException(model + ": the checkpoint has no tokenizer");
        }
        try (LlamaModel m = lm.newModel()) {
            AutoregressiveGenerator plain = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(cfg).build();
            List<DrafterSetup> setups = drafting.setups(cl, drafters, m, lm.tokenizer(), List.of(prompt),
                    BenchPaths.cache(), err);
            try {
                TextGenerator gen = plain;
                DrafterSetup setup = setups.isEmpty() ? null : setups.get(0);
                CandidateLengthController controller = null;
                if (setup != null) {
                    var controllers = drafting.controller(ctrl, setup, m, BenchPaths.cache());
                    controller = controllers.get();
                    var b = Speculation.decoder(m, lm.tokenizer(), setup.factory(), cfg)
                            .optControllerFactory(controllers)
                            .optMaxDraft(Math.max(16, setup.budget()));
                    if (typical) {
                        err.println("note: --typical-acceptance is lossy: the output is not guaranteed to be what the"
                                + " model alone would produce");
                        b.optLossyPolicy(new io.specdec.verify.TypicalAcceptance(0.09f, 0.3f, sampling.isGreedy()));
                    }
                    gen = b.build();
                }
                for (int i = 0; i < warmup; i++) {
                    gen.generate(prompt);
                    if (compare) {
                        plain.generate(prompt);
                    }
                }
                GenerationResult r = stream(gen, out);
                GenerationResult base = compare ? plain.generate(prompt) : null;
                if (json) {
                    Map<String, Object> o = toJson(prompt, r);
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
                        err.println(explain(setup, controller, r.speculation()));
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

    private GenerationResult stream(TextGenerator gen, PrintStream out) {
        try (Generation g = gen.start(prompt)) {
            if (!json) {
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

    /** The speculation stats in words. */
    static String explain(DrafterSetup setup, CandidateLengthController controller, SpeculationStats s) {
        double perRound = s.rounds() == 0 ? 0 : (double) s.drafted() / s.rounds();
        return String.format(Locale.ROOT, "[speculation with %s (%s), controller %s: %d target forwards (rounds)"
                + " produced %d tokens, τ = %.2f tokens per target forward (accepted draft tokens + 1 from the target"
                + " itself); %.1f tokens drafted per round, %d of %d accepted (acceptance %.2f); time: draft %.3f s,"
                + " verify %.3f s, bookkeeping %.3f s]", setup.name(), setup.shape(), controller.name(), s.rounds(),
                s.emitted(), s.tau(), perRound, s.accepted(), s.drafted(), s.acceptanceRate(), s.draftSeconds(),
                s.verifySeconds(), s.bookkeepingSeconds());
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
        }
        o.put("stats", s);
        return o;
    }
}
