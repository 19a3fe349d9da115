package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs every example of docs/USER_GUIDE.md (greedy ones must equal plain decoding of the same prompt) and checks
 * that the guide shows exactly the code between the GUIDE markers.
 */
class UserGuideTest {
    private static int[] plain(Path model, String prompt) {
        LoadedModel lm = ModelLoader.load(model);
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            return AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(64).build()).build().generate(prompt).ids();
        }
    }

    @Test
    void everyExampleRunsAndIsLossless() {
        Path model = SharedAssets.storyModels().target();
        Path draft = SharedAssets.storyModels().draft();
        int[] once = plain(model, "Once upon a time");
        for (GenerationResult r : new GenerationResult[] {UserGuideExamples.draftModelTree(model, draft),
            UserGuideExamples.recycling(model), UserGuideExamples.hybrid(model), UserGuideExamples.earlyExit(model),
            UserGuideExamples.lowLevel(model, draft)}) {
            assertArrayEquals(once, r.ids(), "an example's greedy output differs from plain decoding");
            assertTrue(r.speculation().rounds() > 0);
        }
        assertArrayEquals(plain(model, "Tom had a red ball. Tom had a red ball. Tom had"),
                UserGuideExamples.promptLookup(model).ids());
        String s = UserGuideExamples.sampledStreaming(model, draft);
        assertTrue(s.contains(".") && s.substring(s.indexOf('.') + 1).isBlank(),
                "cancelled after the first sentence, nothing of the round after it delivered: " + s);
    }

    /** The heads example needs stories260K itself: the committed heads were trained for it. */
    @Test
    void eagleExampleIsLossless() {
        Path model = SharedAssets.require("models/stories260K.gguf");
        Path heads = Path.of("..", "models", "stories260K-eagle.gguf");
        GenerationResult r = UserGuideExamples.eagle(model, heads);
        assertArrayEquals(plain(model, "Once upon a time"), r.ids(), "EAGLE's greedy output differs from plain decoding");
        assertTrue(r.speculation().tau() > 2, "the trained heads get drafts accepted: τ " + r.speculation().tau());
    }

    /** SpecDec++ on the committed EAGLE heads with the acceptance head trained for them, through {@code Specdec}. */
    @Test
    void specdecPlusPlusExampleIsLossless() {
        Path model = SharedAssets.require("models/stories260K.gguf");
        GenerationResult r = UserGuideExamples.specdecPlusPlus(model, Path.of("..", "models", "stories260K-eagle.gguf"),
                Path.of("..", "models", "stories260K-eagle-acceptance.gguf"));
        assertArrayEquals(plain(model, "Once upon a time"), r.ids(), "SpecDec++ on EAGLE changed the greedy output");
        assertTrue(r.speculation().tau() > 1.5, "τ " + r.speculation().tau());
    }

    @Test
    void theGuideShowsTheCompiledCode() throws Exception {
        String src = Files.readString(Path.of("src/test/java/io/specdec/examples/UserGuideExamples.java"));
        String guide = Files.readString(Path.of("..", "docs", "USER_GUIDE.md"));
        Matcher m = Pattern.compile("// GUIDE-START (\\S+)\\n(.*?)// GUIDE-END", Pattern.DOTALL).matcher(src);
        int n = 0;
        while (m.find()) {
            n++;
            for (String line : m.group(2).split("\n")) {
                String l = line.strip();
                if (!l.isEmpty()) {
                    assertTrue(guide.contains(l), "USER_GUIDE.md (" + m.group(1) + ") lacks: " + l);
                }
            }
        }
        assertTrue(n >= 8, "found " + n + " examples");
        assertFalse(guide.contains("TODO"));
    }
}
