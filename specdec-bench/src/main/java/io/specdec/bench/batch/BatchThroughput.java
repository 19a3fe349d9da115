package io.specdec.bench.batch;

import io.specdec.Specdec;
import io.specdec.cli.ConcurrencyBench;
import io.specdec.generate.GenerationConfig;
import io.specdec.sampling.SamplingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link ConcurrencyBench} with a draft model at a static K and under the batch budget ({@code BatchBudget}: K from
 * the batch size and the measured cost curves) next to plain decoding — what {@code bench --concurrency} runs for
 * one drafter, with the static-K mode added for comparison, and with {@code memory=MB} the budget mode again under
 * that KV memory budget ({@code Specdec.optMemoryBudget}). Greedy, no stop at end-of-sequence.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.batch.BatchThroughput \
 *     model=twin.gguf [draft=draft.gguf] [concurrency=1,2,4,8,16] [tokens=64] [k=4] [modes=ar,static,budget]
 *     [memory=MB]
 * }</pre>
 */
public final class BatchThroughput {
    private BatchThroughput() {}

    private static String arg(String[] args, String k, String dflt) {
        for (String a : args) {
            if (a.startsWith(k + "=")) {
                return a.substring(k.length() + 1);
            }
        }
        return dflt;
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(arg(args, "model", ""));
        String draft = arg(args, "draft", null);
        int tokens = Integer.parseInt(arg(args, "tokens", "64"));
        int[] bs = Arrays.stream(arg(args, "concurrency", "1,2,4,8,16").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        String k = arg(args, "k", "4");
        List<String> which = List.of(arg(args, "modes", "ar,static,budget").split(","));
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optSampling(SamplingConfig.GREEDY)
                .optStopAtEos(false).build();
        List<ConcurrencyBench.Mode> modes = new ArrayList<>();
        if (which.contains("ar")) {
            modes.add(new ConcurrencyBench.Mode("AR", () -> Specdec.builder().setModel(model).optConfig(cfg)
                    .optBatching(true).build()));
        }
        if (draft != null && which.contains("static")) {
            modes.add(new ConcurrencyBench.Mode("draft K=" + k, () -> Specdec.builder().setModel(model).optConfig(cfg)
                    .optBatching(true).optDraftModel(Path.of(draft)).optController("static")
                    .optControllerOption("k", k).build()));
        }
        if (draft != null && which.contains("budget")) {
            modes.add(new ConcurrencyBench.Mode("draft, batch budget K≤" + k, () -> Specdec.builder().setModel(model)
                    .optConfig(cfg).optBatching(true).optDraftModel(Path.of(draft)).optDrafterOption("k", k)
                    .build()));
        }
        String memory = arg(args, "memory", null);
        if (draft != null && memory != null) {
            long bytes = (long) (Double.parseDouble(memory) * 1e6);
            modes.add(new ConcurrencyBench.Mode("draft, batch budget K≤" + k + ", KV ≤ " + memory + " MB",
                    () -> Specdec.builder().setModel(model).optConfig(cfg).optBatching(true)
                            .optDraftModel(Path.of(draft)).optDrafterOption("k", k).optMemoryBudget(bytes).build()));
        }
        ConcurrencyBench.run(System.out, String.valueOf(model.getFileName()), modes, ConcurrencyBench.PROMPTS, cfg,
                bs);
        System.exit(0);
    }
}
