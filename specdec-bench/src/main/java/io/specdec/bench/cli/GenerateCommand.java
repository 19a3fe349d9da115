package io.specdec.bench.cli;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code generate}: autoregressive generation with streaming text and stats. */
final class GenerateCommand {
    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] argv) {
        java.util.Set<String> opts = new java.util.HashSet<>(Set.of("model", "prompt", "max-tokens", "temperature",
                "top-k", "top-p", "min-p", "repetition-penalty", "seed", "stop", "warmup", "threads"));
        opts.addAll(DrafterOptions.OPTIONS);
        java.util.Set<String> flags = new java.util.HashSet<>(Set.of("json", "verbose", "no-bos"));
        flags.addAll(DrafterOptions.FLAGS);
        Args a = new Args(argv, 1, opts, flags);
        String model = a.get("model");
        if (model == null) {
            throw new Args.UsageException("generate needs --model PATH");
        }
        SamplingConfig sampling = SamplingConfig.builder()
                .optTemperature(a.getFloat("temperature", 0f))
                .optTopK(a.getInt("top-k", 0))
                .optTopP(a.getFloat("top-p", 1f))
                .optMinP(a.getFloat("min-p", 0f))
                .optRepetitionPenalty(a.getFloat("repetition-penalty", 1f))
                .optSeed(a.getInt("seed", 42))
                .build();
        GenerationConfig cfg = GenerationConfig.builder()
                .optMaxNewTokens(a.getInt("max-tokens", 256))
                .optStopStrings(a.get("stop") == null ? List.of() : List.of(a.get("stop")))
                .optAddBos(!a.flag("no-bos"))
                .optSampling(sampling)
                .build();
        String prompt = a.get("prompt", "");
        boolean json = a.flag("json");
        LoadedModel lm = Progress.load(Path.of(model), err);
        if (lm.tokenizer() == null) {
            throw new IllegalArgumentException(model + ": the checkpoint has no tokenizer");
        }
        try (LlamaModel m = new LlamaModel(lm.weights()); DrafterOptions d = new DrafterOptions(a, lm, m, err, List.of(prompt))) {
            io.specdec.generate.TextGenerator gen = d.speculative()
                    ? d.decoder(m, lm, cfg, d.configurations().get(0))
                    : AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer()).optConfig(cfg).build();
            for (int i = 0; i < a.getInt("warmup", 0); i++) {
                gen.generate(prompt);
            }
            GenerationResult r;
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
                r = g.result();
            }
            if (json) {
                out.println(Json.GSON.toJson(toJson(prompt, r)));
            } else {
                out.println();
                err.printf("[%d prompt tokens, %d generated in %.3f s (prefill %.3f s): %.1f tokens/s, finish: %s]%n",
                        r.stats().promptTokens(), r.stats().generatedTokens(), r.stats().totalSeconds(),
                        r.stats().prefillSeconds(), r.stats().tokensPerSecond(), r.finishReason());
                if (r.speculation() != null) {
                    io.specdec.spec.SpeculationStats s = r.speculation();
                    err.printf("[speculation: %d rounds, %d drafted, %d accepted, tau %.2f, acceptance %.2f;"
                            + " time draft %.4f s, verify %.4f s, bookkeeping %.4f s]%n", s.rounds(), s.drafted(),
                            s.accepted(), s.tau(), s.acceptanceRate(), s.draftSeconds(), s.verifySeconds(),
                            s.bookkeepingSeconds());
                }
            }
        }
        return 0;
    }

    static Map<String, Object> toJson(String prompt, GenerationResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt", prompt);
        o.put("prompt_ids", r.promptIds());
        o.put("ids", r.ids());
        o.put("text", r.text());
        o.put("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("prompt_tokens", r.stats().promptTokens());
        s.put("tokens", r.stats().generatedTokens());
        s.put("seconds", r.stats().totalSeconds());
        s.put("prefill_seconds", r.stats().prefillSeconds());
        s.put("decode_seconds", r.stats().decodeSeconds());
        s.put("tokens_per_s", r.stats().tokensPerSecond());
        if (r.speculation() != null) {
            io.specdec.spec.SpeculationStats sp = r.speculation();
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
