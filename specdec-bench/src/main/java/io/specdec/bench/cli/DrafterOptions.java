package io.specdec.bench.cli;

import io.specdec.bench.suite.BenchPaths;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.drafters.hybrid.HybridDrafter;
import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TreeTemplate;
import io.specdec.drafters.sizing.DraftSizing;
import io.specdec.generate.GenerationConfig;
import io.specdec.io.LoadedModel;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaModel;
import io.specdec.spec.CandidateLengthController;
import io.specdec.spec.DrafterFactory;
import io.specdec.spec.LengthControllers;
import io.specdec.spec.SpeculativeDecoder;
import io.specdec.spec.TreeSizing;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The speculative options shared by {@code generate} and {@code bench}. {@code --drafter} takes one name or a comma
 * list (bench runs them side by side): {@code draft-model} ({@code --draft-model PATH}, chain of {@code --k} or a
 * tree of {@code --tree-budget} nodes with {@code --tree-topk} children), {@code recycling} (Token Recycling,
 * {@code --template paper|DEPTH,WIDTH}, {@code --recycling-matrix FILE} loaded if present and saved at the end,
 * {@code --cold} for a fresh matrix per request), {@code prompt-lookup} ({@code --lookup-max}, {@code --lookup-min},
 * {@code --lookup-tokens}, {@code --lookup-matches}), {@code hybrid} (prompt lookup + Token Recycling under
 * {@code --hybrid-budget} nodes). {@code --controller static|heuristic|confidence|goodput|all}. Owns loaded drafts.
 */
final class DrafterOptions implements AutoCloseable {
    static final Set<String> OPTIONS = Set.of("drafter", "draft-model", "k", "controller", "tree-budget", "tree-topk",
            "confidence", "template", "recycling-matrix", "lookup-max", "lookup-min", "lookup-tokens",
            "lookup-matches", "hybrid-budget", "exit-layer", "exit-confidence");
    static final Set<String> FLAGS = Set.of("cold");
    private static final List<String> DRAFTERS = List.of("draft-model", "recycling", "prompt-lookup", "hybrid", "del");

    /** One speculative configuration: a drafter and a controller. */
    record Config(String drafter, String controller) {}

    private final List<String> drafters = new ArrayList<>();
    private final List<String> controllers;
    private final Map<String, DrafterFactory> factories = new LinkedHashMap<>();
    private final Map<String, Integer> budgets = new LinkedHashMap<>();
    private final Map<String, String> shapes = new LinkedHashMap<>();
    private final float confidence;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private AdjacencyMatrix sharedMatrix;
    private Path matrixPath;

    /**
     * @param calibration prompts whose greedy continuations size the draft model under {@code --k auto} or
     *     {@code --tree-budget auto}
     */
    DrafterOptions(Args a, LoadedModel target, LlamaModel targetModel, PrintStream err, List<String> calibration) {
        confidence = a.getFloat("confidence", 0.4f);
        String c = a.get("controller", "static");
        controllers = c.equals("all") ? List.of("static", "heuristic", "confidence", "goodput") : List.of(c.split(","));
        for (String x : controllers) {
            if (!List.of("static", "heuristic", "confidence", "goodput").contains(x)) {
                throw new Args.UsageException("--controller must be static, heuristic, confidence, goodput or all;"
                        + " found '" + x + "'");
            }
        }
        if (a.get("drafter") == null) {
            return;
        }
        for (String d : a.get("drafter").split(",")) {
            if (!DRAFTERS.contains(d)) {
                throw new Args.UsageException("unknown --drafter '" + d + "' (available: " + String.join(", ", DRAFTERS)
                        + ")");
            }
            drafters.add(d);
        }
        int vocab = targetModel.config().vocabSize();
        boolean cold = a.flag("cold");
        try {
            for (String d : drafters) {
                switch (d) {
                    case "draft-model" -> draftModel(a, target, targetModel, err, calibration);
                    case "recycling" -> {
                        TreeTemplate t = template(a.get("template", "paper"));
                        factories.put(d, recycling(vocab, t, cold, a));
                        memory.put(d, 4L * vocab * Math.max(8, t.width()));
                        budgets.put(d, a.getInt("tree-budget", t.size()));
                        shapes.put(d, "template " + t.size() + " nodes" + (cold ? ", cold matrix" : ""));
                    }
                    case "prompt-lookup" -> {
                        int max = a.getInt("lookup-max", 3);
                        int min = a.getInt("lookup-min", 1);
                        int tokens = a.getInt("lookup-tokens", 10);
                        int matches = a.getInt("lookup-matches", 1);
                        factories.put(d, PromptLookupDrafter.factory(vocab, max, min, tokens, matches));
                        budgets.put(d, tokens * matches);
                        shapes.put(d, "n=" + max + ".." + min + ", " + tokens + " tokens x " + matches);
                    }
                    case "del" -> {
                        int exit = a.getInt("exit-layer", 0);
                        float conf = a.getFloat("exit-confidence", 0.3f);
                        factories.put(d, io.specdec.drafters.earlyexit.EarlyExitDrafter.factory(targetModel, exit,
                                conf));
                        budgets.put(d, a.getInt("k", 4));
                        io.specdec.model.LlamaConfig tc = targetModel.config();
                        memory.put(d, KvCache.bytes(tc, Math.min(tc.contextLength(), 4096)));
                        shapes.put(d, (exit > 0 ? "exit layer " + exit : "dynamic (DEL)") + ", confidence " + conf);
                    }
                    default -> {
                        TreeTemplate t = template(a.get("template", "paper"));
                        factories.put(d, HybridDrafter.factory(List.of(PromptLookupDrafter.factory(vocab),
                                recycling(vocab, t, cold, a))));
                        memory.put(d, 4L * vocab * Math.max(8, t.width()));
                        int budget = a.getInt("hybrid-budget", 48);
                        budgets.put(d, budget);
                        shapes.put(d, "lookup + recycling, " + budget + " nodes");
                    }
                }
            }
        } catch (RuntimeException | IOException e) {
            close();
            throw e instanceof RuntimeException r ? r : new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private DrafterFactory recycling(int vocab, TreeTemplate t, boolean cold, Args a) throws IOException {
        if (cold) {
            return () -> TokenRecyclingDrafter.factory(new AdjacencyMatrix(vocab, Math.max(8, t.width())), t).create();
        }
        if (sharedMatrix == null) {
            String f = a.get("recycling-matrix");
            matrixPath = f == null ? null : Path.of(f);
            if (matrixPath != null && Files.exists(matrixPath)) {
                sharedMatrix = AdjacencyMatrix.load(matrixPath);
                if (sharedMatrix.vocabSize() != vocab) {
                    throw new IllegalArgumentException(f + ": recycling matrix is for a vocabulary of "
                            + sharedMatrix.vocabSize() + " tokens, the target has " + vocab);
                }
            } else {
                sharedMatrix = new AdjacencyMatrix(vocab, Math.max(8, t.width()));
            }
        }
        return TokenRecyclingDrafter.factory(sharedMatrix, t);
    }

    private static TreeTemplate template(String spec) {
        if (spec.equals("paper")) {
            return TreeTemplate.paper();
        }
        String[] dw = spec.split(",");
        if (dw.length != 2) {
            throw new Args.UsageException("--template must be 'paper' or DEPTH,WIDTH; found '" + spec + "'");
        }
        return TreeTemplate.full(Integer.parseInt(dw[0].trim()), Integer.parseInt(dw[1].trim()));
    }

    private void draftModel(Args a, LoadedModel target, LlamaModel targetModel, PrintStream err,
            List<String> calibration) throws IOException {
        String path = a.get("draft-model");
        if (path == null) {
            throw new Args.UsageException("--drafter draft-model needs --draft-model PATH");
        }
        boolean autoK = "auto".equals(a.get("k"));
        boolean autoTree = "auto".equals(a.get("tree-budget"));
        int k = autoK ? 0 : a.getInt("k", 4);
        int treeBudget = autoTree ? 0 : a.getInt("tree-budget", 0);
        int topK = a.getInt("tree-topk", 3);
        if (k < 0 || treeBudget < 0 || topK < 1) {
            throw new Args.UsageException("--k and --tree-budget must be >= 0 or auto, --tree-topk >= 1");
        }
        LoadedModel d = Progress.load(Path.of(path), err);
        // run the draft over the target's whole context (draft43K was trained at 128 positions)
        int ctx = Math.max(d.config().contextLength(), target.config().contextLength());
        LlamaModel draft = new LlamaModel(d.weights().withContextLength(ctx));
        owned.add(draft);
        if (autoK || autoTree) {
            DraftModelDrafter.checkCompatible(target.tokenizer(), d.tokenizer(), targetModel, draft);
            err.println("sizing the draft from the measured cost curves (cached in " + BenchPaths.cache() + ")");
            DraftSizing.Result sz = DraftSizing.calibrate(targetModel, target.tokenizer(), draft, calibration, 64,
                    BenchPaths.cache());
            TreeSizing.Plan plan = autoTree ? sz.tree() : sz.chain();
            err.println("sized " + (autoTree ? "tree" : "chain") + ": " + plan + (plan.size() == 0
                    ? " — no draft length beats plain decoding on this machine; using the smallest" : ""));
            if (autoTree) {
                treeBudget = Math.max(2, sz.treeBudget());
                topK = sz.treeTopK();
            } else {
                k = Math.max(1, sz.chainLength());
            }
        }
        io.specdec.model.LlamaConfig dc = draft.config();
        memory.put("draft-model", 4L * dc.parameterCount()
                + KvCache.bytes(dc, Math.min(dc.contextLength(), 4096)));
        DraftModelDrafter.checkCompatible(target.tokenizer(), d.tokenizer(), targetModel, draft);
        boolean tree = treeBudget > 0;
        factories.put("draft-model", DraftModelDrafter.factory(draft, tree ? DraftModelDrafter.Mode.TREE
                : DraftModelDrafter.Mode.CHAIN, topK));
        budgets.put("draft-model", tree ? treeBudget : k);
        shapes.put("draft-model", tree ? "tree(" + treeBudget + ",top" + topK + ")" : "chain");
    }

    boolean speculative() {
        return !drafters.isEmpty();
    }

    /** Every drafter × controller, in the order given. */
    List<Config> configurations() {
        List<Config> out = new ArrayList<>();
        for (String d : drafters) {
            for (String c : controllers) {
                out.add(new Config(d, c));
            }
        }
        return out;
    }

    /** A new controller (fresh state) for a configuration. */
    CandidateLengthController controller(Config c) {
        int max = budgets.get(c.drafter());
        return switch (c.controller()) {
            case "heuristic" -> LengthControllers.heuristic(Math.min(max, 4), Math.max(max, 16));
            case "confidence" -> LengthControllers.confidence(confidence, Math.max(max, 8));
            case "goodput" -> LengthControllers.goodput(Math.max(max, 8));
            default -> LengthControllers.fixed(max);
        };
    }

    /** A decoder for one configuration. */
    SpeculativeDecoder decoder(LlamaModel target, LoadedModel loaded, GenerationConfig cfg, Config c) {
        return Speculation.decoder(target, loaded.tokenizer(), factories.get(c.drafter()), cfg)
                .optController(controller(c)).optMaxDraft(Math.max(16, budgets.get(c.drafter()))).build();
    }

    /** Label for reports, e.g. "draft-model chain static(4)". */
    String label(Config c) {
        return c.drafter() + " " + shapes.get(c.drafter()) + " " + controller(c).name();
    }

    private final Map<String, Long> memory = new LinkedHashMap<>();

    /**
     * Extra memory a drafter adds, in bytes: the adjacency matrix (recycling, hybrid; {@code V·k·4}), the draft
     * model's weights plus its KV cache at full capacity (draft-model), nothing persistent for prompt lookup.
     */
    long memoryBytes(String drafter) {
        return memory.getOrDefault(drafter, 0L);
    }

    /** DEL's learned α_ℓ and its current (ℓ, d) choice, or null when no del drafter is configured. */
    String delSummary() {
        DrafterFactory f = factories.get("del");
        if (f == null) {
            return null;
        }
        var acc = io.specdec.drafters.earlyexit.EarlyExitDrafter.acceptanceOf(f);
        int[] plan = acc.bestPlan(budgets.get("del"));
        StringBuilder sb = new StringBuilder("| exit layer ℓ | α_ℓ | TPL(ℓ, best d) |\n| --- | --- | --- |\n");
        double[] al = acc.alphas();
        for (int l = 1; l <= al.length; l++) {
            double best = 0;
            for (int dd = 1; dd <= budgets.get("del"); dd++) {
                best = Math.max(best, acc.tpl(l, dd));
            }
            sb.append(String.format("| %d | %.3f | %.4f |%n", l, al[l - 1], best));
        }
        sb.append(String.format("%nDEL's plan now: exit layer %d, draft length %d (TPL of plain decoding: 1/L = %.4f)%n",
                plan[0], plan[1], 1.0 / (al.length + 1)));
        return sb.toString();
    }

    @Override
    public void close() {
        if (sharedMatrix != null && matrixPath != null) {
            try {
                sharedMatrix.save(matrixPath);
            } catch (IOException e) {
                throw new IllegalStateException("cannot save the recycling matrix to " + matrixPath + ": "
                        + e.getMessage(), e);
            }
        }
        for (AutoCloseable x : owned) {
            try {
                x.close();
            } catch (Exception ignored) {
                // native memory of a draft model: nothing to recover
            }
        }
    }
}
