package io.specdec.bench.cli;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.model.LlamaModel;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.spec.SpeculativeDecoder;
import io.specdec.verify.Speculation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The speculative options shared by {@code generate} and {@code bench}: {@code --drafter draft-model
 * --draft-model PATH [--k K | --controller static|heuristic|confidence|goodput] [--tree-budget N] [--tree-topk K]}.
 * Owns the draft model; close it.
 */
final class DrafterOptions implements AutoCloseable {
    static final java.util.Set<String> OPTIONS = java.util.Set.of("drafter", "draft-model", "k", "controller",
            "tree-budget", "tree-topk", "confidence");

    final String drafter;
    final int k;
    final List<String> controllers;
    final int treeBudget;
    final int treeTopK;
    final float confidence;
    private LlamaModel draft;

    DrafterOptions(Args a, LoadedModel target, LlamaModel targetModel, PrintStream err) {
        drafter = a.get("drafter");
        k = a.getInt("k", 4);
        treeBudget = a.getInt("tree-budget", 0);
        treeTopK = a.getInt("tree-topk", 3);
        confidence = a.getFloat("confidence", 0.4f);
        String c = a.get("controller", "static");
        controllers = c.equals("all") ? List.of("static", "heuristic", "confidence", "goodput") : List.of(c.split(","));
        for (String x : controllers) {
            if (!List.of("static", "heuristic", "confidence", "goodput").contains(x)) {
                throw new Args.UsageException("--controller must be static, heuristic, confidence, goodput or all;"
                        + " found '" + x + "'");
            }
        }
        if (k < 0 || treeBudget < 0 || treeTopK < 1) {
            throw new Args.UsageException("--k and --tree-budget must be >= 0, --tree-topk >= 1");
        }
        if (drafter == null) {
            return;
        }
        if (!drafter.equals("draft-model")) {
            throw new Args.UsageException("unknown --drafter '" + drafter + "' (available: draft-model)");
        }
        String path = a.get("draft-model");
        if (path == null) {
            throw new Args.UsageException("--drafter draft-model needs --draft-model PATH");
        }
        LoadedModel d = Progress.load(Path.of(path), err);
        // run the draft over the target's whole context (draft43K was trained at 128 positions)
        int ctx = Math.max(d.config().contextLength(), target.config().contextLength());
        draft = new LlamaModel(d.weights().withContextLength(ctx));
        try {
            DraftModelDrafter.checkCompatible(target.tokenizer(), d.tokenizer(), targetModel, draft);
        } catch (RuntimeException e) {
            draft.close();
            throw e;
        }
    }

    boolean speculative() {
        return drafter != null;
    }

    /** A new controller by name (fresh state). */
    CandidateLengthController controller(String name) {
        int max = treeBudget > 0 ? treeBudget : k;
        return switch (name) {
            case "heuristic" -> LengthControllers.heuristic(max, Math.max(max, 16));
            case "confidence" -> LengthControllers.confidence(confidence, Math.max(max, 8));
            case "goodput" -> LengthControllers.goodput(Math.max(max, 8));
            default -> LengthControllers.fixed(max);
        };
    }

    DrafterFactory drafterFactory() {
        return DraftModelDrafter.factory(draft, treeBudget > 0 ? DraftModelDrafter.Mode.TREE
                : DraftModelDrafter.Mode.CHAIN, treeTopK);
    }

    /** A decoder for one controller. */
    SpeculativeDecoder decoder(LlamaModel target, LoadedModel loaded, GenerationConfig cfg, String controller) {
        return Speculation.decoder(target, loaded.tokenizer(), drafterFactory(), cfg)
                .optController(controller(controller)).optMaxDraft(Math.max(16, Math.max(k, treeBudget))).build();
    }

    /** Label for reports, e.g. "draft-model chain static(4)". */
    String label(String controller) {
        String shape = treeBudget > 0 ? "tree(" + treeBudget + ",top" + treeTopK + ")" : "chain";
        return "draft-model " + shape + " " + controller(controller).name();
    }

    List<String> controllerNames() {
        return new ArrayList<>(controllers);
    }

    @Override
    public void close() {
        if (draft != null) {
            draft.close();
        }
    }
}
