package io.specdec.drafters.s2d;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.drafters.sizing.DraftSizing;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.LengthControllers;
import io.specdec.tokenizer.Vocabularies;
import io.specdec.train.DraftModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * S2D (Kavehzadeh et al. 2024, "Sorted LLaMA"; ALGORITHMS.md §9) as drafter {@code s2d}: one nested draft trained by
 * sorted fine-tuning ({@code train-draft --exits 1,2,3}: the loss summed over the exits, so each prefix of its layers
 * is a draft of its own) serves several targets; for each target the exit is chosen from the measured costs: every
 * exit is calibrated like an auto-sized draft model ({@link DraftSizing}: the target's and the exit's cost curves,
 * the exit's agreement on the calibration prompts) and the exit with the highest predicted speedup is used (the
 * deepest among equals), as a
 * draft-model chain of that many layers (the layers, final norm and LM head are shared, not copied). Lossless like
 * every draft-model chain. With {@code exit N} the exit is fixed. With {@code s2d-confidence} above 0 the exit is
 * chosen per step as well ({@link NestedExitDrafter}): each token by the shallowest exit up to the chosen one whose top
 * probability reaches it.
 */
public final class S2dProvider implements DrafterProvider {
    @Override
    public String name() {
        return "s2d";
    }

    @Override
    public String description() {
        return "one nested (sorted, S2D) draft for several targets; the exit chosen per target from measured costs";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(
                DrafterOption.required("s2d-draft", Kind.PATH, "the nested draft (train-draft --exits ...)"),
                DrafterOption.of("s2d-exit", Kind.INT, "auto", "layers of the nested draft to run (an exit); auto ="
                        + " the exit with the best predicted speedup on this target and machine"),
                DrafterOption.of("k", Kind.INT, "auto", "chain length per round; auto = sized with the exit"),
                DrafterOption.of("s2d-confidence", Kind.FLOAT, "0", "per-step exit: each token is drafted by the"
                        + " shallowest exit (up to s2d-exit) whose top probability reaches this, deeper layers run"
                        + " later only when a token needs them; 0 = every token by s2d-exit"));
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        return Map.of();
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) throws IOException {
        Path path = p.getPath("s2d-draft");
        LoadedModel d = ModelLoader.load(path);
        if (d.tokenizer() != null) {
            Vocabularies.requireSame(env.tokenizer(), d.tokenizer());
        }
        int ctx = env.target().config().contextLength();
        var weights = DraftModelDrafter.forContext(d.weights(), ctx, path.toString());
        int layers = weights.config().layers();
        boolean autoExit = p.isAuto("s2d-exit");
        boolean autoK = p.isAuto("k");
        int fixedExit = autoExit ? 0 : p.getInt("s2d-exit", 1, layers);
        int k = autoK ? 0 : p.getInt("k", 1, 1024);
        float confidence = p.getFloat("s2d-confidence");
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new io.specdec.speculation.OptionException("--s2d-confidence (drafter s2d) must be in [0, 1],"
                    + " found " + confidence);
        }
        if ((autoExit || autoK) && env.calibrationPrompts().isEmpty()) {
            throw new IllegalArgumentException("drafter s2d: choosing the exit or K needs calibration prompts");
        }
        Map<String, String> notes = new LinkedHashMap<>();
        int best = fixedExit;
        double bestSpeedup = Double.NEGATIVE_INFINITY;
        int bestK = k;
        // deepest first: where exits tie (e.g. nothing pays on a tiny target) the most accurate one is kept
        for (int e = layers; e >= 1; e--) {
            if (!autoExit && e != fixedExit) {
                continue;
            }
            if (!autoExit && !autoK) {
                break;
            }
            try (LlamaModel m = new LlamaModel(DraftModels.exit(weights, e))) {
                DraftSizing.Result sz = DraftSizing.calibrate(env.target(), env.tokenizer(), m,
                        env.calibrationPrompts(), 64, env.cacheDir());
                double sp = sz.chain().predictedSpeedup();
                notes.put("exit " + e, String.format(Locale.ROOT, "c(1) %.0f µs, chain %s", sz.draftCurve().micros(1),
                        sz.chain()));
                env.log().accept(String.format(Locale.ROOT, "s2d exit %d of %d: draft c(1) %.0f µs, predicted"
                        + " speedup %.2fx at K = %d", e, layers, sz.draftCurve().micros(1), sp, sz.chainLength()));
                if (sp > bestSpeedup) {
                    bestSpeedup = sp;
                    best = e;
                    bestK = autoK ? Math.max(1, sz.chainLength()) : k;
                }
            }
        }
        int kk = bestK;
        if (confidence > 0) {
            int[] exits = new int[best];
            for (int i = 0; i < best; i++) {
                exits[i] = i + 1;
            }
            NestedExitDrafter.Segments segs = new NestedExitDrafter.Segments(weights, exits);
            LlamaConfig dc = weights.config();
            long bytes = 4L * DraftModels.exit(weights, best).config().parameterCount() + KvCache.bytes(
                    dc.withLayers(best), ctx);
            notes.put("exit", "per step: the shallowest of 1.." + best + " of " + layers + " with top probability ≥ "
                    + confidence);
            String shape = "exits 1.." + best + "/" + layers + " per step (confidence " + confidence + "), chain K="
                    + kk;
            java.util.function.Supplier<Map<String, String>> withUsage = () -> {
                Map<String, String> n = new LinkedHashMap<>(notes);
                long[] u = segs.usage();
                long all = java.util.Arrays.stream(u).sum();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < u.length; i++) {
                    sb.append(i == 0 ? "" : ", ").append("exit ").append(exits[i]).append(": ").append(u[i])
                            .append(all == 0 ? "" : String.format(Locale.ROOT, " (%.0f%%)", 100.0 * u[i] / all));
                }
                n.put("tokens per exit", sb.toString());
                return n;
            };
            return new DrafterSetup(name(), NestedExitDrafter.factory(segs, confidence, d.tokenizer()), kk,
                    () -> LengthControllers.fixed(kk), bytes, shape, withUsage, List.of(segs), null, dc.dim());
        }
        LlamaModel draft = new LlamaModel(DraftModels.exit(weights, best));
        try {
            LlamaConfig dc = draft.config();
            long bytes = 4L * dc.parameterCount() + KvCache.bytes(dc, ctx);
            io.specdec.model.CausalLM drafting = env.batching() ? new io.specdec.model.BatchedModel(draft) : draft;
            var factory = DraftModelDrafter.builder().setModel(drafting).optTokenizer(d.tokenizer()).build();
            notes.put("exit", best + " of " + layers);
            String shape = "exit " + best + "/" + layers + (autoExit ? " (chosen)" : "") + ", chain K=" + kk;
            return new DrafterSetup(name(), factory, kk, () -> LengthControllers.fixed(kk), bytes, shape,
                    () -> notes, List.of(draft), draft, dc.dim());
        } catch (RuntimeException e) {
            draft.close();
            throw e;
        }
    }
}
