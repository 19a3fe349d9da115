package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.spec.SpeculativeDecoder;
import io.specdec.testing.SharedAssets;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Compiles and runs the README's usage example, and checks that the README shows exactly this code. */
class ReadmeExampleTest {

    static GenerationResult example(Path targetPath, Path draftPath) {
        // README-EXAMPLE-START
        LoadedModel target = ModelLoader.load(targetPath); // GGUF file, HF directory or llama2.c .bin
        LoadedModel draft = ModelLoader.load(draftPath);
        try (LlamaModel model = new LlamaModel(target.weights());
                LlamaModel drafter = new LlamaModel(draft.weights().withContextLength(2048))) {
            GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(64).build();
            SpeculativeDecoder decoder = Speculation.decoder(model, target.tokenizer(),
                    DraftModelDrafter.factory(drafter, DraftModelDrafter.Mode.CHAIN, 1), config).build();
            GenerationResult result = decoder.generate("Once upon a time");
            System.out.println(result.text() + " [tau " + result.speculation().tau() + "]");
            return result;
        }
        // README-EXAMPLE-END
    }

    @Test
    void exampleRunsAndMatchesTheReadme() throws IOException {
        GenerationResult r = example(SharedAssets.require("models/stories260K.gguf"),
                SharedAssets.require("models/draft43K.gguf"));
        assertEquals(64, r.ids().length);
        assertTrue(r.text().startsWith(", there was a little girl named Lily."), r.text());
        assertTrue(r.speculation().tau() > 1);

        Path self = Path.of("src/test/java/io/specdec/examples/ReadmeExampleTest.java");
        String src = Files.readString(self);
        String snippet = src.substring(src.indexOf("// README-EXAMPLE-START") + 24,
                src.indexOf("        // README-EXAMPLE-END"));
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String line : snippet.strip().split("\n")) {
            String l = line.strip();
            if (!l.startsWith("return ")) {
                assertTrue(readme.contains(l), "README.md lacks the example line: " + l);
            }
        }
    }
}
