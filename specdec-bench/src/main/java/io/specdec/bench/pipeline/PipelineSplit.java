package io.specdec.bench.pipeline;

import io.specdec.cli.suite.Interleaved;
import io.specdec.cli.suite.PromptRun;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.SpeculationStats;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.Speculation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * LLMCad's pipeline against sequential drafting with the same draft model, and which split of the cores pays: the
 * target and the draft are each loaded twice, with 2 and with 1 host threads, so that one JVM can run, per prompt and
 * back to back with AR ({@link Interleaved}): sequential drafting (both models on 2 threads) at each K; the pipeline
 * with the target on 2 threads and the draft on 1 (the draft's thread competes with the kernels'); and the pipeline
 * with one core each (target 1 thread, draft 1 thread), against sequential drafting on 1 thread. Greedy; prints a Markdown table with tokens/s, x vs AR,
 * x vs the best sequential K, τ, lookahead hits and whether every output equals AR's.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.pipeline.PipelineSplit \
 *     model=TARGET.gguf draft=DRAFT.gguf prompts=FILE [limit=8] [tokens=96] [ks=4,8] [warmup=2]
 * }</pre>
 */
public final class PipelineSplit {
    private PipelineSplit() {}

    public static void main(String[] args) throws Exception {
        io.specdec.engine.SpecdecEngine.configure();
        io.specdec.bench.BenchArgs a = io.specdec.bench.BenchArgs.parse(args);
        Path modelPath = Path.of(a.require("model"));
        Path draftPath = Path.of(a.require("draft"));
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(a.require("prompts")))) {
            if (!line.isBlank()) {
                prompts.add(line.strip());
            }
        }
        int limit = Integer.parseInt(a.get("limit", "8"));
        prompts = prompts.subList(0, Math.min(limit, prompts.size()));
        int tokens = Integer.parseInt(a.get("tokens", "96"));
        int warmup = Integer.parseInt(a.get("warmup", "2"));
        List<Integer> ks = new ArrayList<>();
        for (String k : a.get("ks", "4,8").split(",")) {
            ks.add(Integer.parseInt(k.strip()));
        }
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                .optSampling(SamplingConfig.GREEDY).build();
        LoadedModel target = ModelLoader.load(modelPath);
        LoadedModel draft = ModelLoader.load(draftPath);
        System.setProperty("specdec.threads", "2");
        try (LlamaModel t2 = target.newModel(); LlamaModel d2 = draft.newModel()) {
            System.setProperty("specdec.threads", "1");
            try (LlamaModel t1 = target.newModel(); LlamaModel d1 = draft.newModel()) {
                System.out.printf(Locale.ROOT, "## LLMCad pipeline: %s drafted by %s, %d tokens, greedy, %d cores%n%n",
                        modelPath.getFileName(), draftPath.getFileName(), tokens,
                        Runtime.getRuntime().availableProcessors());
                System.out.printf("target kernels: %s (2 threads), %s (1 thread); draft: %s, %s%n%n", t2.kernel(),
                        t1.kernel(), d2.kernel(), d1.kernel());
                AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(t2)
                        .setTokenizer(target.tokenizer()).optConfig(cfg).build();
                Map<String, SpeculativeDecoder> decoders = new LinkedHashMap<>();
                for (int k : ks) {
                    decoders.put("sequential K=" + k + " (target 2 threads, draft 2)", decoder(target, t2, d2, cfg, k,
                            false));
                }
                for (int k : ks) {
                    decoders.put("sequential K=" + k + " (target 1 thread, draft 1)", decoder(target, t1, d1, cfg, k,
                            false));
                }
                for (int k : ks) {
                    decoders.put("pipeline K=" + k + " (target 2 threads, draft 1 beside)", decoder(target, t2, d1,
                            cfg, k, true));
                    decoders.put("pipeline K=" + k + " (target 1 thread, draft 1: a core each)", decoder(target, t1,
                            d1, cfg, k, true));
                }
                for (int i = 0; i < warmup; i++) {
                    String p = prompts.get(i % prompts.size());
                    ar.generate(p);
                    decoders.values().forEach(d -> d.generate(p));
                }
                Map<String, List<PromptRun>> runs = Interleaved.measure(ar, decoders, prompts, n -> { });
                double arSeconds = 0;
                long arTokens = 0;
                for (PromptRun r : runs.values().iterator().next()) {
                    arSeconds += r.arSeconds();
                    arTokens += r.arTokens();
                }
                double bestSeq = 0;
                Map<String, Double> tps = new LinkedHashMap<>();
                for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
                    double s = 0;
                    long n = 0;
                    for (PromptRun r : e.getValue()) {
                        s += r.specSeconds();
                        n += r.specTokens();
                    }
                    tps.put(e.getKey(), n / s);
                    if (e.getKey().startsWith("sequential") && e.getKey().contains("target 2 threads")) {
                        bestSeq = Math.max(bestSeq, n / s);
                    }
                }
                double arTps = arTokens / arSeconds;
                System.out.println("| decoding | tokens/s | x vs AR | x vs best sequential (2 threads) | τ | lookaheads used |"
                        + " draft / verify s | identical to AR |");
                System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
                System.out.printf(Locale.ROOT, "| AR (target 2 threads) | %.1f | 1.00 | | 1.00 | | | |%n", arTps);
                for (Map.Entry<String, List<PromptRun>> e : runs.entrySet()) {
                    long emitted = 0;
                    int rounds = 0;
                    int la = 0;
                    int hits = 0;
                    double draftS = 0;
                    double verifyS = 0;
                    int same = 0;
                    for (PromptRun r : e.getValue()) {
                        SpeculationStats st = r.stats();
                        emitted += st.emitted();
                        rounds += st.rounds();
                        la += st.lookaheads();
                        hits += st.lookaheadHits();
                        draftS += st.draftSeconds();
                        verifyS += st.verifySeconds();
                        same += r.identical() ? 1 : 0;
                    }
                    double t = tps.get(e.getKey());
                    System.out.printf(Locale.ROOT, "| %s | %.1f | %.2f | %.2f | %.2f | %s | %.2f / %.2f | %d of %d |%n",
                            e.getKey(), t, t / arTps, t / bestSeq, rounds == 0 ? 0 : (double) emitted / rounds,
                            la == 0 ? "—" : hits + " of " + la, draftS, verifyS, same, e.getValue().size());
                }
            }
        }
        System.exit(0);
    }

    private static SpeculativeDecoder decoder(LoadedModel target, LlamaModel t, LlamaModel d, GenerationConfig cfg,
            int k, boolean pipeline) {
        return Speculation.decoder(t, target.tokenizer(), DraftModelDrafter.builder().setModel(d).build(), cfg)
                .optControllerFactory(() -> LengthControllers.fixed(k)).optMaxDraft(Math.max(16, k))
                .optPipeline(pipeline).build();
    }
}
