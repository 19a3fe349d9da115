package io.specdec.drafters.hybrid;

import io.specdec.drafters.lookup.PromptLookupDrafter;
import io.specdec.drafters.recycling.AdjacencyMatrix;
import io.specdec.drafters.recycling.TokenRecyclingDrafter;
import io.specdec.drafters.recycling.TokenRecyclingProvider;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterOption.Kind;
import io.specdec.speculation.DrafterParams;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.LengthControllers;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Registers {@link HybridDrafter} over prompt lookup then Token Recycling as {@code hybrid}. */
public final class HybridProvider implements DrafterProvider {
    @Override
    public String name() {
        return "hybrid";
    }

    @Override
    public String description() {
        return "prompt lookup first, then Token Recycling, merged into one deduplicated tree";
    }

    @Override
    public List<DrafterOption> options() {
        return List.of(TokenRecyclingProvider.templateOption(),
                DrafterOption.of("hybrid-budget", Kind.INT, "auto", "nodes per round (auto = template size + 10)"));
    }

    @Override
    public Map<String, Map<String, String>> suitePresets() {
        return Map.of("hybrid", Map.of("template", "auto"));
    }

    @Override
    public DrafterSetup create(DrafterEnvironment env, DrafterParams p) throws IOException {
        AdjacencyMatrix matrix = new AdjacencyMatrix(env.vocabSize(), 8);
        TokenRecyclingProvider.Sized s = TokenRecyclingProvider.template(p.get("template"), env, matrix);
        int budget = p.isAuto("hybrid-budget") ? s.template().size() + 10 : p.getInt("hybrid-budget", 1, 2048);
        var f = HybridDrafter.of(List.of(PromptLookupDrafter.builder().setVocabSize(env.vocabSize()).build(),
                TokenRecyclingDrafter.builder().setMatrix(matrix).optTemplate(s.template()).build()));
        return new DrafterSetup(name(), f, budget, () -> LengthControllers.fixed(budget), matrix.bytes(),
                "lookup + recycling (" + s.shape() + "), " + budget + " nodes", s::notes, List.of());
    }
}
