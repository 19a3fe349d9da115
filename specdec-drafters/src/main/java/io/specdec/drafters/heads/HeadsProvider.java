package io.specdec.drafters.heads;

import ai.djl.ndarray.NDManager;
import io.specdec.engine.SpecdecEngine;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaConfig;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.LengthControllers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Registers a head family as a drafter ({@code medusa}, {@code hydra}, {@code eagle}, …): loads a
 * heads file, checks it against the target (or inflates it for a cost twin with {@code --inflate}), puts its weights
 * on the target's device, and sizes the tree from the machine's cost curve and the heads' teacher-forced acceptance
 * on the calibration prompts ({@link HeadSizing}) unless the user gives the shape. One subclass per family, with a
 * public no-argument constructor, registered in {@code META-INF/services/io.specdec.speculation.DrafterProvider};
 * that registration is also the family's ({@link HeadArchitectures}).
 */
public abstract class HeadsProvider implements DrafterProvider {
    private final HeadArchitecture kind;

    protected HeadsProvider(HeadArchitecture kind) {
        this.kind = java.util.Objects.requireNonNull(kind, "architecture");
    }

    /** The family this provider drafts with. */
    public HeadArchitecture architecture() {
        return kind;
    }

    @Override
    public String name() {
        return kind.id();
    }

    @Override
    public String description() {
        return kind.description();
    }

    @Override
    public List<DrafterOption> options() {
        List<DrafterOption> o = new ArrayList<>();
        o.add(DrafterOption.required("heads", Kind.PATH, "the heads file (train-heads --kind " + kind.id() + ")"));
        o.add(DrafterOption.of("tree-budget", Kind.INT, "auto", "tree nodes per round; auto = sized from the cost"
                + " curve and the heads' measured acceptance on the calibration prompts"));
        if (!kind.dynamicTree()) {
            o.add(DrafterOption.of("choices", Kind.TEXT, null, "explicit tree as rank paths, e.g. '0;1;0,0;0,1'"
                    + " (default: the sized tree)"));
        } else {
            o.add(DrafterOption.of("tree-depth", Kind.INT, "auto", "levels expanded per round (auto = sized)"));
            o.add(DrafterOption.of("tree-topk", Kind.INT, "auto", "children per expanded node and nodes expanded per"
                    + " level (auto = sized)"));
        }
        o.add(DrafterOption.of("inflate", Kind.FLAG, "false", "the target is a cost twin of the heads' target:"
                + " inflate the heads to its shape (function-preserving)"));
        return o;
    }

    /** The kind with its own shape, and beside it under SpecDec++ (when the suite has an acceptance head for it). */
    @Override
    public Map<String, Map<String, String>> suitePresets() {
        Map<String, Map<String, String>> m = new java.util.LinkedHashMap<>();
        m.put(name(), Map.of());
        m.put(name() + " specdec++", Map.of("controller", "specdec++"));
        return m;
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) throws IOException {
        Path path = p.getPath("heads");
        CausalLM target = env.target();
        LlamaConfig tc = target.config();
        DraftHeads heads = DraftHeads.load(path);
        if (!heads.architecture().id().equals(kind.id())) {
            throw new IllegalArgumentException(path + ": holds " + heads.architecture().id() + " heads, drafter "
                    + kind.id()
                    + " needs " + kind.id() + " heads");
        }
        if (p.flag("inflate") && heads.target().dim() != tc.dim()) {
            env.log().accept(path.getFileName() + ": inflating " + kind.id() + " heads from width "
                    + heads.target().dim() + " to the twin's " + tc.dim() + " (function-preserving)");
            heads = heads.inflate(tc, 1);
        }
        heads.requireTarget(tc, path.toString());
        LoadedHeads loaded = new LoadedHeads(target, heads);
        List<AutoCloseable> resources = List.of(loaded);
        try {
            DraftHeads h = heads;
            Map<String, String> notes = new LinkedHashMap<>();
            notes.put("heads", String.format(Locale.ROOT, "%s, %d head(s) x %d block(s), %,d parameters",
                    kind.id(), h.count(), h.blocks(), h.parameterCount()));
            boolean autoBudget = p.isAuto("tree-budget");
            int budget = autoBudget ? 0 : p.getInt("tree-budget", 1, 1024);
            String shape;
            DrafterFactory factory;
            if (!kind.dynamicTree()) {
                List<int[]> choices = p.isSet("choices") ? parseChoices(p.get("choices"), h.count()) : null;
                if (choices == null) {
                    HeadSizing.Result sz;
                    try (HeadDrafter probe = loaded.probe()) {
                        sz = HeadSizing.size(target, env.tokenizer(), probe, calibration(env), 64,
                                CostCurve.cached(target, env.cacheDir(), 5), false, autoBudget ? 64 : budget);
                    }
                    note(env, notes, sz);
                    choices = sz.plan().size() == 0 ? List.of(new int[] {0}) : sz.plan().paths();
                }
                if (!autoBudget && choices.size() > budget) {
                    choices = choices.subList(0, budget);
                }
                List<int[]> c = List.copyOf(choices);
                factory = () -> loaded.drafter(new HeadArchitecture.HeadTree(c.size(), 1, c.size(), c));
                budget = c.size();
                shape = "tree " + c.size() + " nodes (Medusa choices" + (p.isSet("choices") ? ", given)" : ", sized)");
            } else {
                boolean auto = autoBudget || p.isAuto("tree-depth") || p.isAuto("tree-topk");
                int depth = p.isAuto("tree-depth") ? 0 : p.getInt("tree-depth", 1, 16);
                int topK = p.isAuto("tree-topk") ? 0 : p.getInt("tree-topk", 1, 64);
                if (auto) {
                    HeadSizing.Result sz;
                    try (HeadDrafter probe = loaded.probe()) {
                        sz = HeadSizing.size(target, env.tokenizer(), probe, calibration(env), 64,
                                CostCurve.cached(target, env.cacheDir(), 5), true, autoBudget ? 64 : budget);
                    }
                    note(env, notes, sz);
                    if (autoBudget) {
                        budget = Math.max(1, sz.plan().size());
                    }
                    if (depth == 0) {
                        depth = Math.max(1, sz.plan().maxDepth());
                    }
                    if (topK == 0) {
                        topK = sz.topKChildren();
                    }
                }
                int b = budget;
                int d = depth;
                int k = topK;
                factory = () -> loaded.drafter(HeadArchitecture.HeadTree.dynamic(d, k, b));
                shape = "dynamic tree " + b + " nodes, depth " + d + ", top-" + k + (auto ? " (sized)" : "");
            }
            long bytes = 4L * h.parameterCount() + loaded.runtime.extraBytes();
            int fb = budget;
            return new DrafterSetup(name(), factory, fb, () -> LengthControllers.fixed(fb), bytes, shape,
                    () -> notes, resources, null, env.target().config().dim());
        } catch (RuntimeException | IOException e) {
            loaded.close();
            throw e;
        }
    }

    private static List<String> calibration(DrafterEnvironment env) {
        if (env.calibrationPrompts().isEmpty()) {
            throw new IllegalArgumentException("head drafters size their tree from calibration prompts; none were"
                    + " given (pass --tree-budget and the tree shape explicitly)");
        }
        return env.calibrationPrompts();
    }

    private static void note(DrafterEnvironment env, Map<String, String> notes, HeadSizing.Result sz) {
        notes.put("sizing", sz.plan().toString());
        notes.put("teacher-forced accuracy", sz.accuracy());
        notes.put("draft cost", String.format(Locale.ROOT, "%.0f µs per round + %.0f µs per level",
                sz.fixedMicros(), sz.perLevelMicros()));
        env.log().accept("sized heads: " + sz.plan() + "; " + notes.get("draft cost") + (sz.plan().size() == 0
                ? " — no tree beats plain decoding on this machine; using the smallest" : ""));
    }

    /** Medusa choices from text: paths separated by ';', ranks by ','. */
    static List<int[]> parseChoices(String s, int heads) {
        List<int[]> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String part : s.split(";")) {
            String t = part.strip();
            if (t.isEmpty()) {
                continue;
            }
            String[] r = t.split(",");
            int[] path = new int[r.length];
            for (int i = 0; i < r.length; i++) {
                try {
                    path[i] = Integer.parseInt(r[i].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--choices: '" + t + "' is not a list of ranks (e.g. 0,1)");
                }
                if (path[i] < 0) {
                    throw new IllegalArgumentException("--choices: ranks must be >= 0, found " + path[i]);
                }
            }
            if (path.length > heads) {
                throw new IllegalArgumentException("--choices: path '" + t + "' is deeper than the " + heads
                        + " heads");
            }
            if (path.length > 1 && !seen.contains(java.util.Arrays.toString(java.util.Arrays.copyOf(path,
                    path.length - 1)))) {
                throw new IllegalArgumentException("--choices: path '" + t + "' comes before (or without) its prefix");
            }
            seen.add(java.util.Arrays.toString(path));
            out.add(path);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--choices: no paths given");
        }
        return out;
    }

    /** The target's embedding table {@code [V, D]} on the host. */
    static float[] hostEmbedding(CausalLM target) {
        int v = target.config().vocabSize();
        int[] all = new int[v];
        for (int i = 0; i < v; i++) {
            all[i] = i;
        }
        try (NDManager m = SpecdecEngine.newManager()) {
            return target.embed(m, all).toFloatArray();
        }
    }

    /** The target's LM head {@code [V, D]} on the host (the head applied to the identity, transposed). */
    static float[] hostLmHead(CausalLM target) {
        int d = target.config().dim();
        int v = target.config().vocabSize();
        try (NDManager m = SpecdecEngine.newManager()) {
            float[] t = target.lmHead(m.eye(d)).toFloatArray(); // [D, V]
            float[] out = new float[v * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < v; j++) {
                    out[j * d + i] = t[i * v + j];
                }
            }
            return out;
        }
    }
}
