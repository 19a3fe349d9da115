package io.specdec.drafters.recycling;

import io.specdec.drafters.sizing.RankStats;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.speculation.TreeSizing;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers {@link TokenRecyclingDrafter} as {@code recycling}. The template is the paper's 80 nodes, a full
 * {@code DEPTH,WIDTH} tree, or {@code auto}: the matrix is warmed on the calibration prompts with the paper's
 * template while the rank of each accepted first child is recorded, and {@link TreeSizing} picks the template that
 * maximises tokens per microsecond under the target's measured cost curve.
 */
public final class TokenRecyclingProvider implements DrafterProvider {
    /** Largest full template accepted ({@code DEPTH,WIDTH}): each side at most 16, at most 1024 nodes. */
    public static final int MAX_TEMPLATE_NODES = 1024;

    @Override
    public String name() {
        return "recycling";
    }

    @Override
    public String description() {
        return "Token Recycling: the target's own top-k candidates, recycled through an adjacency matrix";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(templateOption(),
                DrafterOption.of("recycling-matrix", Kind.PATH, null, "matrix file: loaded if present, saved at"
                        + " the end (default: a fresh matrix, kept for the process)"),
                DrafterOption.of("cold", Kind.FLAG, "false", "a fresh matrix per request"));
    }

    /** The {@code template} option (shared with the hybrid drafter). */
    public static DrafterOption templateOption() {
        return DrafterOption.of("template", Kind.TEXT, "paper", "tree template: paper (80 nodes), DEPTH,WIDTH, or"
                + " auto (sized from the cost curve and ranks measured on the calibration prompts)");
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        m.put("recycling", Map.of("template", "auto"));
        m.put("recycling paper", Map.of("template", "paper"));
        return m;
    }

    /** A sized or named template and the matrix it runs on. */
    public record Sized(TreeTemplate template, AdjacencyMatrix matrix, String shape, Map<String, String> notes) {}

    /** Parses {@code spec} (paper, DEPTH,WIDTH or auto) for {@code env}'s target; {@code matrix} may be warmed. */
    public static Sized template(String spec, DrafterEnvironment env, AdjacencyMatrix matrix) throws IOException {
        if (spec.equals("paper")) {
            return new Sized(TreeTemplate.paper(), matrix, "paper template, 80 nodes", Map.of());
        }
        if (spec.equals("auto")) {
            return sized(env, matrix);
        }
        String[] dw = spec.split(",");
        if (dw.length != 2) {
            throw new IllegalArgumentException("--template must be paper, auto or DEPTH,WIDTH; found '" + spec + "'");
        }
        int depth;
        int width;
        try {
            depth = Integer.parseInt(dw[0].trim());
            width = Integer.parseInt(dw[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--template DEPTH,WIDTH needs two integers; found '" + spec + "'");
        }
        if (depth < 1 || width < 1 || depth > 16 || width > 16) {
            throw new IllegalArgumentException("--template DEPTH,WIDTH needs 1 <= DEPTH, WIDTH <= 16; found '" + spec
                    + "'");
        }
        long nodes = 0;
        long level = 1;
        for (int d = 0; d < depth; d++) {
            level *= width;
            nodes += level;
        }
        if (nodes > MAX_TEMPLATE_NODES) {
            throw new IllegalArgumentException("--template " + spec + " has " + nodes + " nodes; at most "
                    + MAX_TEMPLATE_NODES + " are verified per round");
        }
        TreeTemplate t = TreeTemplate.full(depth, width);
        return new Sized(t, matrix, "full template " + depth + "x" + width + ", " + t.size() + " nodes", Map.of());
    }

    private static Sized sized(DrafterEnvironment env, AdjacencyMatrix matrix) throws IOException {
        if (env.calibrationPrompts().isEmpty()) {
            throw new IllegalArgumentException("--template auto needs calibration prompts");
        }
        TreeTemplate paper = TreeTemplate.paper();
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(64).optStopAtEos(false)
                .optSampling(SamplingConfig.GREEDY).build();
        RankStats.Recorder rec = new RankStats.Recorder(matrix.k());
        DrafterFactory warm = rec.wrap(TokenRecyclingDrafter.builder().setMatrix(matrix).optTemplate(paper).build());
        SpeculativeDecoder d = Speculation.decoder(env.target(), env.tokenizer(), warm, greedy)
                .optController(LengthControllers.fixed(paper.size())).optMaxDraft(paper.size()).build();
        double microsPerNode = 0;
        for (String p : env.calibrationPrompts()) {
            GenerationResult r = d.generate(p);
            microsPerNode = r.speculation().draftSeconds() * 1e6 / Math.max(1, r.speculation().drafted());
        }
        RankStats ranks = rec.stats();
        CostCurve curve = CostCurve.cached(env.target(), env.cacheDir(), 5);
        TreeSizing.Plan plan = TreeSizing.optimal(ranks.probabilities(), curve, 0, microsPerNode, 96, 8);
        env.log().accept("sized recycling template: " + plan);
        TreeTemplate t = plan.size() == 0 ? TreeTemplate.full(1, 1) : TreeTemplate.of(plan.paths());
        String shape = plan.size() == 0 ? "1 node (sizing predicts no tree beats plain decoding)"
                : "template " + t.size() + " nodes, depth " + plan.maxDepth() + " (sized)";
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put("sizing", plan.toString());
        notes.put("recycling ranks", ranks.toString());
        return new Sized(t, matrix, shape, notes);
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) throws IOException {
        int vocab = env.vocabSize();
        Path file = p.getPath("recycling-matrix");
        boolean cold = p.flag("cold");
        if (cold && file != null) {
            throw new IllegalArgumentException("drafter recycling: --cold and --recycling-matrix exclude each other");
        }
        AdjacencyMatrix matrix;
        if (file != null && Files.exists(file)) {
            matrix = AdjacencyMatrix.load(file);
            if (matrix.vocabSize() != vocab) {
                throw new IllegalArgumentException(file + ": recycling matrix is for a vocabulary of "
                        + matrix.vocabSize() + " tokens, the target has " + vocab);
            }
        } else {
            matrix = new AdjacencyMatrix(vocab, 8);
        }
        Sized s = template(p.get("template"), env, matrix);
        TreeTemplate t = s.template();
        if (t.width() > matrix.k()) {
            throw new IllegalArgumentException("template needs " + t.width() + " candidates per row, the matrix keeps "
                    + matrix.k());
        }
        DrafterFactory f = cold
                ? () -> TokenRecyclingDrafter.builder().setVocabSize(vocab).optTemplate(t).build().create()
                : TokenRecyclingDrafter.builder().setMatrix(matrix).optTemplate(t).build();
        List<AutoCloseable> resources = new ArrayList<>();
        if (file != null) {
            resources.add(() -> {
                try {
                    matrix.save(file);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot save the recycling matrix to " + file + ": "
                            + e.getMessage(), e);
                }
            });
        }
        return new DrafterSetup(name(), f, t.size(), () -> LengthControllers.fixed(t.size()), matrix.bytes(),
                s.shape() + (cold ? ", cold matrix" : ""), s::notes, resources);
    }
}
