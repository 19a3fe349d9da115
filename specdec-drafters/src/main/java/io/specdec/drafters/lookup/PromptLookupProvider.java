package io.specdec.drafters.lookup;

import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import java.util.List;
import java.util.Map;

/** Registers {@link PromptLookupDrafter} as {@code prompt-lookup}. */
public final class PromptLookupProvider implements DrafterProvider {
    @Override
    public String name() {
        return "prompt-lookup";
    }

    @Override
    public String description() {
        return "n-gram prompt lookup: propose what followed the last n tokens earlier in the text";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(
                DrafterOption.of("lookup-max", Kind.INT, "3", "longest n-gram matched"),
                DrafterOption.of("lookup-min", Kind.INT, "1", "shortest n-gram matched"),
                DrafterOption.of("lookup-tokens", Kind.INT, "10", "tokens proposed per match"),
                DrafterOption.of("lookup-matches", Kind.INT, "1", "matches merged into a tree (1 = chain)"));
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        return Map.of("prompt lookup", Map.of());
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) {
        int tokens = p.getInt("lookup-tokens", 1, 1024);
        int matches = p.getInt("lookup-matches", 1, 64);
        int max = p.getInt("lookup-max", 1, 64);
        int min = p.getInt("lookup-min", 1, 64);
        var f = PromptLookupDrafter.builder().setVocabSize(env.vocabSize()).optMaxNgram(max).optMinNgram(min)
                .optNumTokens(tokens).optMaxMatches(matches).build();
        return DrafterSetup.of(name(), f, tokens * matches, 0,
                "n-gram " + max + ".." + min + ", " + tokens + " tokens x " + matches);
    }
}
