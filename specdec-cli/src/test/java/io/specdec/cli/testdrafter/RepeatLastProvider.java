package io.specdec.cli.testdrafter;

import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import java.util.List;

/** Registers {@link RepeatLastDrafter} as {@code repeat-last} (in this module's test resources only). */
public final class RepeatLastProvider implements DrafterProvider {
    @Override
    public String name() {
        return "repeat-last";
    }

    @Override
    public String description() {
        return "test drafter: propose the last n tokens again";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(DrafterOption.of("repeat-n", DrafterOption.Kind.INT, "2", "tokens repeated per round"));
    }

    /** Alone, and with 4 tokens per round under the test-only {@code depth-cap} controller. */
    @Override
    public java.util.Map<String, java.util.Map<String, String>> suitePresets() {
        java.util.Map<String, java.util.Map<String, String>> m = new java.util.LinkedHashMap<>();
        m.put(name(), java.util.Map.of());
        m.put(name() + " depth-cap", java.util.Map.of("repeat-n", "4", "controller", "depth-cap"));
        return m;
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams params) {
        int n = params.getInt("repeat-n", 1);
        int vocab = env.vocabSize();
        return DrafterSetup.of(name(), () -> new RepeatLastDrafter(vocab, n), n, 0, "last " + n + " tokens");
    }
}
