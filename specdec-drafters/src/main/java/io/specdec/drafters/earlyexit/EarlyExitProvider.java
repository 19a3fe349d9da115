package io.specdec.drafters.earlyexit;

import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterFactory;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.LengthControllers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registers {@link EarlyExitDrafter} as {@code del} (DEL's dynamic exit, or LayerSkip with a fixed layer). */
public final class EarlyExitProvider implements DrafterProvider {
    @Override
    public String name() {
        return "del";
    }

    @Override
    public String description() {
        return "early exit: the target's first layers draft (DEL dynamic exit, or LayerSkip with --exit-layer)";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(
                DrafterOption.of("exit-layer", Kind.INT, "0", "fixed exit layer 1..L-1 (0 = DEL's dynamic choice)"),
                DrafterOption.of("exit-confidence", Kind.FLOAT, "0.3", "stop drafting below this top probability"),
                DrafterOption.of("k", Kind.INT, "4", "largest draft length per round"));
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        return Map.of("DEL", Map.of());
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) {
        int exit = p.getInt("exit-layer", 0, 1 << 10);
        float conf = p.getFloat("exit-confidence");
        int k = p.getInt("k", 1, 1024);
        DrafterFactory f = EarlyExitDrafter.builder().setTarget(env.target()).optExitLayer(exit).optConfidence(conf)
                .build();
        LlamaConfig tc = env.target().config();
        EarlyExitDrafter.LayerAcceptance acc = EarlyExitDrafter.acceptanceOf(f);
        return new DrafterSetup(name(), f, k, () -> LengthControllers.fixed(k), KvCache.bytes(tc, tc.contextLength()),
                (exit > 0 ? "exit layer " + exit : "dynamic exit (DEL)") + ", confidence " + conf + ", <= " + k
                        + " tokens", () -> notes(acc, k), List.of());
    }

    /** DEL's learned α_ℓ and its current (ℓ, d) choice, as a Markdown table. */
    static Map<String, String> notes(EarlyExitDrafter.LayerAcceptance acc, int k) {
        int[] plan = acc.bestPlan(k);
        StringBuilder sb = new StringBuilder("| exit layer ℓ | α_ℓ | TPL(ℓ, best d) |\n| --- | --- | --- |\n");
        double[] al = acc.alphas();
        for (int l = 1; l <= al.length; l++) {
            double best = 0;
            for (int d = 1; d <= k; d++) {
                best = Math.max(best, acc.tpl(l, d));
            }
            sb.append(String.format(java.util.Locale.ROOT, "| %d | %.3f | %.4f |%n", l, al[l - 1], best));
        }
        sb.append(String.format(java.util.Locale.ROOT, "%nDEL's plan now: exit layer %d, draft length %d (TPL of"
                + " plain decoding: 1/L = %.4f)%n", plan[0], plan[1], 1.0 / (al.length + 1)));
        Map<String, String> m = new LinkedHashMap<>();
        m.put("DEL α table", sb.toString());
        return m;
    }
}
