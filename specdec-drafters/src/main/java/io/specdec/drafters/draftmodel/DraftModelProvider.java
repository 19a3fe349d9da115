package io.specdec.drafters.draftmodel;

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
import io.specdec.speculation.TreeSizing;
import io.specdec.tokenizer.Vocabularies;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers {@link DraftModelDrafter} as {@code draft-model}: loads the draft checkpoint, checks its token table
 * against the target's, runs it over the target's context (RoPE extended with a note when it was trained shorter),
 * and sizes chain or tree from the measured cost curves when asked ({@code auto}).
 */
public final class DraftModelProvider implements DrafterProvider {
    @Override
    public String name() {
        return "draft-model";
    }

    @Override
    public String description() {
        return "a small draft model of the same vocabulary (chain, or an EAGLE-2-style tree)";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(
                DrafterOption.required("draft-model", Kind.PATH, "the draft checkpoint (GGUF, HF directory, llama2.c)"),
                DrafterOption.of("k", Kind.INT, "4", "chain length per round; auto = sized from the measured cost"
                        + " curves and the draft's agreement on the calibration prompts"),
                DrafterOption.of("tree-budget", Kind.INT, "0", "tree nodes per round (0 = chain; auto = sized)"),
                DrafterOption.of("tree-topk", Kind.INT, "3", "children expanded per tree node"));
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        m.put("draft chain", Map.of("k", "auto"));
        m.put("draft chain goodput", Map.of("k", "16", "controller", "goodput"));
        m.put("draft chain specdec++", Map.of("k", "12", "controller", "specdec++"));
        m.put("draft tree", Map.of("tree-budget", "auto"));
        return m;
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) throws IOException {
        Path path = p.getPath("draft-model");
        boolean autoK = p.isAuto("k");
        boolean autoTree = p.isAuto("tree-budget");
        int k = autoK ? 0 : p.getInt("k", 1, 1024);
        int treeBudget = autoTree ? 0 : p.getInt("tree-budget", 0, 1024);
        int topK = p.getInt("tree-topk", 1, 64);
        if (p.isSet("tree-budget") && p.isSet("k")) {
            throw new IllegalArgumentException("drafter draft-model: give --k (chain) or --tree-budget (tree), not both");
        }
        LoadedModel d = ModelLoader.load(path);
        if (d.tokenizer() != null) {
            Vocabularies.requireSame(env.tokenizer(), d.tokenizer());
        }
        int ctx = env.target().config().contextLength();
        if (d.config().contextLength() < ctx) {
            env.log().accept(path.getFileName() + ": draft context " + d.config().contextLength()
                    + " is shorter than the target's " + ctx + "; RoPE extended to " + ctx + " positions");
        }
        LlamaModel draft = new LlamaModel(DraftModelDrafter.forContext(d.weights(), ctx, path.toString()));
        try {
            Map<String, String> notes = new LinkedHashMap<>();
            String sized = "";
            if (autoK || autoTree) {
                if (env.calibrationPrompts().isEmpty()) {
                    throw new IllegalArgumentException("drafter draft-model: auto sizing needs calibration prompts");
                }
                env.log().accept("sizing the draft from the measured cost curves (cached in " + env.cacheDir() + ")");
                DraftSizing.Result sz = DraftSizing.calibrate(env.target(), env.tokenizer(), draft,
                        env.calibrationPrompts(), 64, env.cacheDir());
                TreeSizing.Plan plan = autoTree ? sz.tree() : sz.chain();
                env.log().accept("sized " + (autoTree ? "tree" : "chain") + ": " + plan + (plan.size() == 0
                        ? " — no draft length beats plain decoding on this machine; using the smallest" : ""));
                notes.put("sizing", plan.toString());
                notes.put("draft ranks", sz.ranks().toString());
                notes.put("draft c(1)", String.format(java.util.Locale.ROOT, "%.0f µs", sz.draftCurve().micros(1)));
                if (autoTree) {
                    treeBudget = Math.max(2, sz.treeBudget());
                    topK = sz.treeTopK();
                } else {
                    k = Math.max(1, sz.chainLength());
                }
                sized = plan.size() == 0 ? " (sizing: nothing beats plain decoding; smallest run)" : " (sized)";
            }
            boolean tree = treeBudget > 0;
            int budget = tree ? treeBudget : k;
            LlamaConfig dc = draft.config();
            long bytes = 4L * dc.parameterCount() + KvCache.bytes(dc, ctx);
            // under continuous batching the sequences' draft forwards run as batched rounds too
            io.specdec.model.CausalLM drafting = env.batching() ? new io.specdec.model.BatchedModel(draft) : draft;
            var factory = DraftModelDrafter.builder().setModel(drafting).optTokenizer(d.tokenizer())
                    .optMode(tree ? DraftModelDrafter.Mode.TREE : DraftModelDrafter.Mode.CHAIN).optTopK(topK).build();
            String shape = (tree ? "tree " + treeBudget + " nodes, top-" + topK : "chain K=" + k) + sized;
            return new DrafterSetup(name(), factory, budget, () -> LengthControllers.fixed(budget), bytes, shape,
                    () -> notes, List.of(draft), draft, dc.dim());
        } catch (RuntimeException | IOException e) {
            draft.close();
            throw e;
        }
    }
}
