package io.specdec.bench.lossy;

import ai.djl.ndarray.NDManager;
import io.specdec.cli.suite.QualityHarness;
import io.specdec.engine.SpecdecEngine;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.verify.JudgeHead;
import io.specdec.verify.LatentNeighbours;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quality harness of the lossy acceptance rules on one target and draft ({@link QualityHarness}, which
 * {@code bench --suite} runs too): per prompt (same seed for every mode) plain decoding, lossless speculative
 * decoding and each lossy mode at each knob setting, back to back, sampled at {@code temperature} or greedy at 0
 * (judge and r2r modes are greedy, LANTERN sampled); prints the speed × quality table and writes the Pareto chart.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.lossy.LossyQuality \
 *     model=TARGET draft=DRAFT prompts=FILE [limit=48] [tokens=64] [temperature=0.8] [k=4] \
 *     [modes=lossless,typical:0.05,typical:0.09,typical:0.2,lantern:0.05,lantern:0.15,lantern:0.3] [neighbours=8]
 *     [judge=FILE.json, router=FILE.json, for modes judge:T and r2r:T with temperature=0] [chart=FILE.png: the speed × quality Pareto chart]
 * }</pre>
 */
public final class LossyQuality {
    private LossyQuality() {}

    public static void main(String[] args) throws Exception {
        SpecdecEngine.configure();
        io.specdec.bench.BenchArgs a = io.specdec.bench.BenchArgs.parse(args);
        LoadedModel target = ModelLoader.load(Path.of(a.require("model")));
        LoadedModel draft = ModelLoader.load(Path.of(a.require("draft")));
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(a.require("prompts")))) {
            if (!line.isBlank()) {
                prompts.add(line.strip());
            }
        }
        prompts = prompts.subList(0, Math.min(Integer.parseInt(a.get("limit", "48")), prompts.size()));
        int tokens = Integer.parseInt(a.get("tokens", "64"));
        float temperature = Float.parseFloat(a.get("temperature", "0.8"));
        int k = Integer.parseInt(a.get("k", "4"));
        int nb = Integer.parseInt(a.get("neighbours", "8"));
        JudgeHead judge = a.has("judge") ? JudgeHead.load(Path.of(a.require("judge"))) : null;
        JudgeHead router = a.has("router") ? JudgeHead.load(Path.of(a.require("router"))) : null;
        List<String> modes = List.of(a.get("modes",
                "lossless,typical:0.05,typical:0.09,typical:0.2,lantern:0.05,lantern:0.15,lantern:0.3").split(","));
        try (LlamaModel m = target.newModel(); LlamaModel d = draft.newModel();
                NDManager nd = SpecdecEngine.newManager()) {
            LatentNeighbours neighbours = temperature == 0 ? null : LatentNeighbours.of(m, nd, nb);
            Map<String, QualityHarness.Metrics> rows = QualityHarness.measure(m, d, target.tokenizer(), prompts, 2,
                    tokens, temperature, k, modes, new QualityHarness.Heads(neighbours, judge, router), null);
            System.out.printf(Locale.ROOT, "## Lossy acceptance: %s drafted by %s, %d prompts, %d tokens, T = %.2f,"
                    + " K = %d (r2r: router-stopped, ≤ %d), LANTERN neighbours k = %d%n%n",
                    Path.of(a.require("model")).getFileName(), Path.of(a.require("draft")).getFileName(),
                    prompts.size(), tokens, temperature, k, QualityHarness.R2R_CHUNK, nb);
            System.out.println(QualityHarness.table(rows));
            if (a.has("chart")) {
                Path png = Path.of(a.require("chart"));
                QualityHarness.chart(rows, png, String.format(Locale.ROOT, "Speed vs quality: %s, %d prompts, T %.1f",
                        Path.of(a.require("model")).getFileName(), prompts.size(), temperature));
                System.out.println("chart: " + png.toAbsolutePath());
            }
        }
        System.exit(0);
    }
}
