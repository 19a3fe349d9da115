package io.specdec.cli.testcontroller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.cli.CliRun;
import io.specdec.cli.suite.BenchPaths;
import io.specdec.testing.SharedAssets;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterOption;
import io.specdec.speculation.DrafterProvider;
import io.specdec.speculation.Drafters;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The decode loop owns the stop rule: a controller registered only in test code ({@link DepthCapProvider}) that
 * stops after depth 2 bounds every registered drafter — draft model, heads, recycling, lookup, hybrid, early exit and
 * the test drafter — through {@link Specdec}, greedy and sampled, and the outputs stay the plain greedy ones; the CLI
 * finds it and its option with no edit outside its files.
 */
class StopRuleTest {
    static final String PROMPT = "Once upon a time";

    @Test
    void aTestOnlyControllerBoundsEveryRegisteredDrafter() {
        // stories260K, the model the committed heads and draft were trained for
        Path target = SharedAssets.require("models/stories260K.gguf");
        Path draft = BenchPaths.projectModels().resolve("stories260K-draft2L.gguf");
        int[] plain;
        try (Specdec ar = Specdec.builder().setModel(target).optMaxNewTokens(64).build()) {
            plain = ar.generate(PROMPT).ids();
        }
        int checked = 0;
        for (DrafterProvider p : Drafters.providers()) {
            Specdec.Builder b = Specdec.builder().setModel(target).optDrafter(p.name())
                    .optController("depth-cap:2").optMaxNewTokens(64);
            for (DrafterOption o : p.options()) {
                if (o.required()) {
                    Path f = o.name().equals("draft-model") ? draft
                            : BenchPaths.projectModels().resolve("stories260K-" + p.name() + ".gguf");
                    b.optDrafterOption(o.name(), f.toString());
                }
            }
            if (p.name().equals("s2d")) {
                // a fixed exit and K: the automatic choice calibrates every exit (TrainingCommandsTest covers it)
                b.optDrafterOption("s2d-exit", "3").optDrafterOption("k", "4");
            }
            DepthCapProvider.drafting.set(0);
            for (SamplingConfig s : new SamplingConfig[] {SamplingConfig.GREEDY,
                SamplingConfig.builder().optTemperature(0.7f).optSeed(5).build()}) {
                DepthCapProvider.deepest.set(0);
                try (Specdec sd = b.optSampling(s).build()) {
                    assertEquals("depth-cap(2)", sd.controllerName());
                    int[] ids = sd.generate(PROMPT).ids();
                    if (s.isGreedy()) {
                        assertArrayEquals(plain, ids, p.name() + ": greedy output under the cap");
                    }
                }
                assertTrue(DepthCapProvider.deepest.get() <= 2, p.name() + " " + s + ": drafted depth "
                        + DepthCapProvider.deepest.get() + " past the controller's stop at 2");
            }
            System.out.println("[stop rule] " + p.name() + ": " + DepthCapProvider.drafting.get() + " drafting rounds");
            assertTrue(DepthCapProvider.drafting.get() > 0,
                    p.name() + ": no round drafted anything, so the cap was not exercised");
            checked++;
        }
        assertTrue(checked >= 10, "every registered drafter (9 shipped + the test one), found " + checked);
    }

    @Test
    void theCliFindsTheTestControllerAndItsOption() {
        CliRun r = CliRun.of("generate", "--drafter", "recycling", "--controller", "depth-cap", "--depth", "1",
                "--prompt", PROMPT, "--max-tokens", "16", "--compare");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("controller depth-cap(1)") && r.err().contains("outputs identical: yes"),
                r.err());
        CliRun bad = CliRun.of("generate", "--drafter", "recycling", "--controller", "depth-cap", "--depth", "0",
                "--prompt", PROMPT, "--max-tokens", "4");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--depth (controller depth-cap) must be >= 1, found 0"), bad.err());
    }
}
