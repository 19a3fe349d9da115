package io.specdec.drafters.heads;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.sampling.SamplingConfig;
import io.specdec.sampling.TopK;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.TreeSizing;
import io.specdec.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Sizes a head drafter's tree for one target on this machine (Sequoia-style, ALGORITHMS.md §7, the
 * {@link TreeSizing} machinery): the target continues the calibration prompts greedily; at every generated position
 * the drafter is teacher-forced along the target's true continuation ({@link HeadDrafter#pathLogits}), giving the
 * rank of the true token at each depth; the empirical joint of those rank vectors is the path model (a node reached
 * through ranks r_1..r_d is accepted where the true tokens had exactly those ranks — what a greedy tree accepts, since
 * an accepted path is the teacher-forced context); the drafter's own costs are timed (a fixed part per round, a part
 * per expanded level) and {@link TreeSizing#optimal} picks the tree. The same ranks give per-depth top-1/top-5
 * accuracy. Stateless.
 */
public final class HeadSizing {
    private HeadSizing() {}

    /** Ranks per node considered by the sizing. */
    public static final int RANKS = 4;

    /**
     * What calibration found.
     *
     * @param ranks per generated position, the true token's rank at depth 1..D (-1 = beyond the text)
     * @param plan the sized tree (paths of ranks; size 0 = nothing beats plain decoding)
     * @param fixedMicros measured draft cost per round, µs
     * @param perLevelMicros measured cost per expanded level, µs
     */
    public record Result(int[][] ranks, TreeSizing.Plan plan, double fixedMicros, double perLevelMicros) {
        /** Fraction of positions whose depth-d token (1-based) was the drafter's top-k (teacher-forced). */
        public double topK(int depth, int k) {
            long n = 0;
            long hit = 0;
            for (int[] r : ranks) {
                if (depth - 1 < r.length && r[depth - 1] >= 0) {
                    n++;
                    hit += r[depth - 1] < k ? 1 : 0;
                }
            }
            return n == 0 ? 0 : (double) hit / n;
        }

        /** Depths with rank data. */
        public int depths() {
            int d = 0;
            for (int[] r : ranks) {
                d = Math.max(d, r.length);
            }
            return d;
        }

        /** "depth 1: top-1 0.81 top-5 0.97; depth 2: …". */
        public String accuracy() {
            StringBuilder sb = new StringBuilder();
            for (int d = 1; d <= depths(); d++) {
                sb.append(String.format(Locale.ROOT, "%sdepth %d: top-1 %.3f top-5 %.3f", d == 1 ? "" : "; ", d,
                        topK(d, 1), topK(d, 5)));
            }
            return sb.toString();
        }

        /** Children per node for a dynamic tree: the largest rank the plan uses + 1, at least 2. */
        public int topKChildren() {
            return Math.max(2, Math.min(RANKS, plan.maxRank() + 1));
        }
    }

    /**
     * Teacher-forced per-depth accuracy of {@code heads} for {@code target} on the target's greedy continuations
     * ({@code tokens} each) of held-out {@code prompts}: the result's {@link Result#topK} and
     * {@link Result#accuracy}; its plan is null and its costs 0.
     */
    public static Result teacherForced(CausalLM target, Tokenizer tokenizer, DraftHeads heads, List<String> prompts,
            int tokens, int depth) {
        try (LoadedHeads l = new LoadedHeads(target, heads); HeadDrafter d = l.probe()) {
            return new Result(ranks(target, tokenizer, d, prompts, tokens, depth), null, 0, 0);
        }
    }

    /** The empirical joint path model of per-position rank vectors. */
    public static TreeSizing.PathModel joint(int[][] ranks) {
        return path -> {
            long hits = 0;
            for (int[] r : ranks) {
                boolean all = path.length <= r.length;
                for (int i = 0; i < path.length && all; i++) {
                    all = r[i] == path[i];
                }
                hits += all ? 1 : 0;
            }
            return ranks.length == 0 ? 0 : (double) hits / ranks.length;
        };
    }

    /**
     * Teacher-forced ranks of {@code drafter} on the target's greedy continuations of {@code prompts}.
     *
     * @param tokens new tokens per prompt
     * @param depth depths to rank (capped by the drafter)
     */
    static int[][] ranks(CausalLM target, Tokenizer tokenizer, HeadDrafter drafter, List<String> prompts, int tokens,
            int depth) {
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                .optSampling(SamplingConfig.GREEDY).build();
        AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(target).setTokenizer(tokenizer)
                .optConfig(cfg).build();
        int dmax = Math.min(depth, drafter.maxDepth());
        List<int[]> out = new ArrayList<>();
        for (String p : prompts) {
            GenerationResult g = ar.generate(p);
            int[] seq = g.allIds();
            int start = Math.max(2, g.promptIds().length);
            load(target, drafter, seq);
            for (int len = start; len < seq.length; len++) {
                int[] path = Arrays.copyOfRange(seq, len, Math.min(seq.length, len + dmax));
                float[][] rows = drafter.pathLogits(seq, len, path);
                int[] r = new int[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    r[i] = TopK.rank(rows[i], path[i]);
                }
                out.add(r);
            }
        }
        return out.toArray(new int[0][]);
    }

    /** Puts the target's features of every position of {@code seq} into the drafter (as a request would). */
    static void load(CausalLM target, HeadDrafter drafter, int[] seq) {
        drafter.features.clear();
        try (KvCache c = target.newCache(seq.length);
                ForwardResult r = target.forward(c, seq, ForwardOptions.DEFAULT.withLastHidden())) {
            float[] h = r.lastHidden();
            int d = target.config().dim();
            for (int i = 0; i < seq.length; i++) {
                drafter.features.add(Arrays.copyOfRange(h, i * d, (i + 1) * d));
            }
        }
        drafter.reset(seq.length);
    }

    /**
     * Calibrates and sizes.
     *
     * @param curve the target's cost curve
     * @param levels whether the drafter pays per level (Hydra, EAGLE) or once per round (Medusa)
     * @param maxNodes largest tree considered
     */
    static Result size(CausalLM target, Tokenizer tokenizer, HeadDrafter drafter, List<String> prompts, int tokens,
            CostCurve curve, boolean levels, int maxNodes) {
        int dmax = Math.min(8, drafter.maxDepth());
        int[][] ranks = ranks(target, tokenizer, drafter, prompts, tokens, dmax);
        double[] cost = costs(target, tokenizer, drafter, prompts.get(0), levels);
        int[][] capped = new int[ranks.length][];
        for (int i = 0; i < ranks.length; i++) {
            capped[i] = ranks[i].clone();
            for (int j = 0; j < capped[i].length; j++) {
                if (capped[i][j] >= RANKS) {
                    capped[i][j] = -1;
                }
            }
        }
        TreeSizing.Plan plan = TreeSizing.optimal(joint(capped), RANKS, curve, cost[0], cost[1], 0, maxNodes, dmax);
        return new Result(ranks, plan, cost[0], cost[1]);
    }

    /** {fixed µs per round, µs per expanded level of RANKS nodes}: medians of timed repeats after a warm-up. */
    private static double[] costs(CausalLM target, Tokenizer tokenizer, HeadDrafter drafter, String prompt,
            boolean levels) {
        int[] seq = tokenizer.encode(prompt, true);
        if (seq.length < 3) {
            int[] s = Arrays.copyOf(seq, 3);
            Arrays.fill(s, seq.length, 3, seq[seq.length - 1]);
            seq = s;
        }
        load(target, drafter, seq);
        int len = seq.length;
        int[] path = new int[levels ? 2 : 1];
        Arrays.fill(path, seq[len - 1]);
        int reps = 30;
        double[] one = new double[reps];
        double[] two = new double[reps];
        for (int i = 0; i < reps + 10; i++) {
            long t0 = System.nanoTime();
            drafter.pathLogits(seq, len, new int[] {path[0]});
            long t1 = System.nanoTime();
            if (levels) {
                drafter.pathLogits(seq, len, path);
            }
            long t2 = System.nanoTime();
            if (i >= 10) {
                one[i - 10] = (t1 - t0) / 1e3;
                two[i - 10] = (t2 - t1) / 1e3;
            }
        }
        Arrays.sort(one);
        Arrays.sort(two);
        double fixed = one[reps / 2];
        // one extra level costs (two - one); a level expands RANKS nodes in one batched call, which costs about what
        // one node costs on this flat part of the curve
        double level = levels ? Math.max(0, two[reps / 2] - fixed) : 0;
        return new double[] {fixed, level};
    }
}
