package io.specdec.drafters.sizing;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.model.CausalLM;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.CostCurve;
import io.specdec.speculation.TreeSizing;
import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hardware-aware sizing of a small draft model's chain and tree for one target on this machine (Sequoia, Chen et
 * al. 2024; ALGORITHMS.md §7): the target's and the draft's cost curves (measured once per model shape and machine,
 * cached), the draft's acceptance from the target's own greedy continuations of a few calibration prompts (the
 * empirical joint model of {@link RankStats#pathModel()}), and {@link TreeSizing} to pick the chain length and the
 * tree budget that maximise expected tokens per microsecond. No per-model tuning. Stateless.
 */
public final class DraftSizing {
    private DraftSizing() {}

    /** Ranks considered per tree node. */
    public static final int RANKS = 4;

    /**
     * The sizing of a draft for a target.
     *
     * @param ranks the draft's teacher-forced ranks of the target's tokens
     * @param targetCurve the target's c(T)
     * @param draftCurve the draft's c(T)
     * @param chain the best chain (size 0: no chain beats autoregressive decoding)
     * @param tree the best tree (size 0: no tree beats autoregressive decoding)
     */
    public record Result(RankStats ranks, CostCurve targetCurve, CostCurve draftCurve, TreeSizing.Plan chain,
            TreeSizing.Plan tree) {
        /** Draft length for a chain, 0 when speculation with this draft does not pay on this machine. */
        public int chainLength() {
            return chain.size();
        }

        /** Node budget for a tree, 0 when it does not pay. */
        public int treeBudget() {
            return tree.size();
        }

        /** Children per tree level: the largest rank the plan uses + 1, between 2 and {@link #RANKS}. */
        public int treeTopK() {
            return Math.max(2, Math.min(RANKS, tree.maxRank() + 1));
        }
    }

    /**
     * Sizes {@code draft} for {@code target} from the target's greedy continuations ({@code tokens} new tokens) of
     * {@code prompts} — typically the first prompts of the workload.
     */
    public static Result calibrate(CausalLM target, Tokenizer tokenizer, CausalLM draft, List<String> prompts,
            int tokens, Path cacheDir) throws IOException {
        if (prompts.isEmpty() || tokens < 1) {
            throw new IllegalArgumentException("calibration needs at least one prompt and one token");
        }
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false)
                .optSampling(SamplingConfig.GREEDY).build();
        AutoregressiveGenerator ar = AutoregressiveGenerator.builder().setModel(target).setTokenizer(tokenizer)
                .optConfig(cfg).build();
        List<int[]> seqs = new ArrayList<>();
        List<Integer> lens = new ArrayList<>();
        for (String p : prompts) {
            GenerationResult r = ar.generate(p);
            seqs.add(r.allIds());
            lens.add(r.promptIds().length);
        }
        return of(target, draft, seqs, lens, cacheDir);
    }

    /**
     * Sizes {@code draft} for {@code target}.
     *
     * @param sequences calibration texts: prompt ids followed by the target's greedy continuation
     * @param promptLengths where each continuation starts
     * @param cacheDir where cost curves are cached
     */
    public static Result of(CausalLM target, CausalLM draft, List<int[]> sequences, List<Integer> promptLengths,
            Path cacheDir) throws IOException {
        RankStats ranks = RankStats.draftModel(draft, sequences, promptLengths, RANKS);
        CostCurve t = CostCurve.cached(target, cacheDir, 5);
        CostCurve d = CostCurve.cached(draft, cacheDir, 5);
        TreeSizing.PathModel joint = ranks.pathModel();
        // a chain pays one draft forward per token; a tree one forward per level over the tree so far
        TreeSizing.Plan chain = TreeSizing.optimal(joint, 1, t, d.micros(1), 0, 16, 16);
        TreeSizing.Plan tree = TreeSizing.optimal(joint, RANKS, t, d.micros(8), 0, 64, 16);
        return new Result(ranks, t, d, chain, tree);
    }
}
