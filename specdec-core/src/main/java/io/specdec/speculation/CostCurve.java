package io.specdec.speculation;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.KvCache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The target's measured forward cost c(T) for T new tokens (after a 64-token prefix, all logit rows copied out), the
 * machine-specific curve that hardware-aware sizing reads (Sequoia, Chen et al. 2024; ALGORITHMS.md §7). Measured
 * for T in {@link #SIZES} as the median of repeats after warm-up, interpolated linearly in between, and cached in a
 * small text file per model shape and machine so later runs reuse it. Immutable.
 */
public final class CostCurve {
    /** Forward sizes measured. */
    public static final int[] SIZES = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};

    private static final long MIN_NANOS = 200_000_000L;

    private final double[] micros; // per SIZES entry

    private CostCurve(double[] micros) {
        this.micros = micros;
    }

    /** A curve from known costs, one per {@link #SIZES} entry, in microseconds. */
    public static CostCurve of(double[] microsPerSize) {
        if (microsPerSize.length != SIZES.length) {
            throw new IllegalArgumentException("need " + SIZES.length + " costs, one per size in SIZES");
        }
        return new CostCurve(microsPerSize.clone());
    }

    /**
     * Measures the curve: one untimed forward of every size, then per size n untimed and n timed forwards (median),
     * n = max({@code repeats}, enough for 0.2 s of forwards, at most 400).
     */
    public static CostCurve measure(CausalLM model, int repeats) {
        int prefix = 64;
        int cap = prefix + SIZES[SIZES.length - 1];
        if (cap > model.config().contextLength()) {
            throw new IllegalArgumentException("the model's context is too short to measure c(64) after a prefix");
        }
        double[] us = new double[SIZES.length];
        try (KvCache cache = model.newCache(cap)) {
            int[] pre = new int[prefix];
            for (int i = 0; i < prefix; i++) {
                pre[i] = 3 + (i * 37) % Math.max(1, model.config().vocabSize() - 3);
            }
            model.forward(cache, pre, ForwardOptions.LAST_ROW);
            for (int s = 0; s < SIZES.length; s++) { // warm every size first, so no size pays for JIT and caches
                cache.truncate(prefix);
                model.forward(cache, Arrays.copyOf(pre, SIZES[s]), ForwardOptions.DEFAULT);
            }
            for (int s = 0; s < SIZES.length; s++) {
                int[] toks = Arrays.copyOf(pre, SIZES[s]);
                cache.truncate(prefix);
                long probe = System.nanoTime();
                model.forward(cache, toks, ForwardOptions.DEFAULT);
                probe = System.nanoTime() - probe;
                // cheap forwards are noisy: time at least MIN_NANOS of them (capped at 400 repeats)
                int n = (int) Math.max(repeats, Math.min(400, MIN_NANOS / Math.max(1, probe)));
                double[] t = new double[n];
                for (int r = -n; r < n; r++) {
                    cache.truncate(prefix);
                    long t0 = System.nanoTime();
                    model.forward(cache, toks, ForwardOptions.DEFAULT);
                    if (r >= 0) {
                        t[r] = (System.nanoTime() - t0) / 1e3;
                    }
                }
                Arrays.sort(t);
                us[s] = t[n / 2];
            }
        }
        return new CostCurve(us);
    }

    /**
     * The cached curve for this model shape and machine, measuring and caching it when absent or unreadable (a
     * damaged file is measured again and overwritten).
     */
    public static CostCurve cached(CausalLM model, Path cacheDir, int repeats) throws IOException {
        var c = model.config();
        String key = String.format(Locale.ROOT, "%d-%d-%d-%d-%d-%d-%d-%s-%dcpu-%s-%s", c.dim(), c.hiddenDim(),
                c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.vocabSize(),
                System.getProperty("ai.djl.pytorch.num_threads", "1") + "t",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"), model.costKey());
        Path f = cacheDir.resolve("cost-" + key + ".txt");
        if (Files.isRegularFile(f)) {
            String[] parts = Files.readString(f, StandardCharsets.UTF_8).trim().split("\\s+");
            if (parts.length == SIZES.length) {
                double[] us = new double[parts.length];
                try {
                    for (int i = 0; i < us.length; i++) {
                        us[i] = Double.parseDouble(parts[i]);
                    }
                    if (Arrays.stream(us).allMatch(u -> u > 0 && Double.isFinite(u))) {
                        return new CostCurve(us);
                    }
                } catch (NumberFormatException e) {
                    // a damaged cache file: measure again and overwrite it
                }
            }
        }
        CostCurve curve = measure(model, repeats);
        Files.createDirectories(cacheDir);
        StringBuilder sb = new StringBuilder();
        for (double u : curve.micros) {
            sb.append(String.format(Locale.ROOT, "%.1f ", u));
        }
        Files.writeString(f, sb.toString().trim() + "\n", StandardCharsets.UTF_8);
        return curve;
    }

    /** c(T) in microseconds (linear interpolation; constant slope beyond the last size). */
    public double micros(int t) {
        if (t <= SIZES[0]) {
            return micros[0];
        }
        for (int i = 1; i < SIZES.length; i++) {
            if (t <= SIZES[i]) {
                double f = (double) (t - SIZES[i - 1]) / (SIZES[i] - SIZES[i - 1]);
                return micros[i - 1] + f * (micros[i] - micros[i - 1]);
            }
        }
        int n = SIZES.length;
        double slope = (micros[n - 1] - micros[n - 2]) / (SIZES[n - 1] - SIZES[n - 2]);
        return micros[n - 1] + slope * (t - SIZES[n - 1]);
    }

    /**
     * Ideal speedup of a configuration: {@code τ · c(1) / (c(T_verify) + draft cost per round)} — what the machine's
     * cost curve allows at that acceptance with zero overhead.
     */
    public double idealSpeedup(double tau, double meanVerifyTokens, double draftMicrosPerRound) {
        return tau * micros(1) / (micros((int) Math.round(meanVerifyTokens)) + draftMicrosPerRound);
    }

    /**
     * Sequoia-style chain sizing: the length K maximising expected emitted tokens per microsecond,
     * {@code (1 + Σ_{i≤K} α^i) / (c(K+1) + K·draftMicros)}, for a per-token acceptance α; 0 when no K beats AR
     * ({@link TreeSizing} with a single rank).
     */
    public int bestChainLength(double alpha, double draftMicrosPerToken, int maxK) {
        return TreeSizing.optimal(new double[] {alpha}, this, draftMicrosPerToken, 0, maxK, maxK).size();
    }

    /** Markdown table of the curve. */
    public String table() {
        StringBuilder sb = new StringBuilder("| T | c(T) µs | c(T)/c(1) |\n| --- | --- | --- |\n");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f |%n", SIZES[i], micros[i], micros[i] / micros[0]));
        }
        return sb.toString();
    }
}
