package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import io.specdec.speculation.Controllers;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The controller registry through the library entry point: every built-in controller and SpecDec++ are registered;
 * {@code static:3} and the other names the CLI takes are accepted by the builder and keep greedy output identical to
 * plain decoding; bad names, options and combinations are one-line errors naming them.
 */
class ControllersApiTest {
    @Test
    void everyControllerIsRegistered() {
        assertTrue(Controllers.names().containsAll(List.of("static", "heuristic", "confidence", "goodput",
                "specdec++")), Controllers.names().toString());
    }

    @Test
    void builderTakesRegistryNamesAndShortForms() {
        int[] plain;
        try (Specdec ar = Specdec.builder().setModel(DemoModels.target()).optMaxNewTokens(24).build()) {
            plain = ar.generate("Once upon a time").ids();
        }
        String[][] cases = {{"static:3", "static(3)"}, {"confidence:0.3", null}, {"heuristic", null},
            {"goodput", null}};
        for (String[] c : cases) {
            try (Specdec sd = Specdec.builder().setModel(DemoModels.target()).optDraftModel(DemoModels.draft())
                    .optController(c[0]).optMaxNewTokens(24).build()) {
                if (c[1] != null) {
                    assertEquals(c[1], sd.controllerName());
                }
                assertArrayEquals(plain, sd.generate("Once upon a time").ids(), c[0]);
            }
        }
    }

    @Test
    void badControllersAreOneLineErrors() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optController("fastest").build());
        assertTrue(unknown.getMessage().startsWith("controller must be one of [") && unknown.getMessage()
                .contains("specdec++") && unknown.getMessage().endsWith("found 'fastest'"), unknown.getMessage());
        IllegalArgumentException noHead = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optController("specdec++").build());
        assertTrue(noHead.getMessage().startsWith("controller specdec++ needs --acceptance-head PATH"),
                noHead.getMessage());
        IllegalArgumentException stray = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optController("static")
                .optControllerOption("threshold", "0.5").build());
        assertTrue(stray.getMessage().startsWith("option --threshold does not apply to controller static"),
                stray.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDraftModel(DemoModels.draft()).optController("static:0").build());
        assertEquals("--k (controller static) must be >= 1, found 0", range.getMessage());
        IllegalArgumentException noOpt = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optControllerOption("k-min", "2").build());
        assertTrue(noOpt.getMessage().contains("without a controller"), noOpt.getMessage());
        IllegalArgumentException noDraft = assertThrows(IllegalArgumentException.class, () -> Specdec.builder()
                .setModel(DemoModels.target()).optDrafter("recycling").optController("specdec++")
                .optControllerOption("acceptance-head", "x.gguf").build());
        assertTrue(noDraft.getMessage().contains("specdec++ needs a drafter whose proposals carry features")
                && noDraft.getMessage().contains("recycling has none"), noDraft.getMessage());
    }
}
