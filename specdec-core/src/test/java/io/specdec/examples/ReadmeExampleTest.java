package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Compiles and runs the README's usage example, and checks that the README shows exactly this code. */
class ReadmeExampleTest {

    static GenerationResult example(Path modelPath) {
        // README-EXAMPLE-START
        LoadedModel loaded = ModelLoader.load(modelPath); // GGUF file, HF directory or llama2.c .bin
        try (LlamaModel model = new LlamaModel(loaded.weights())) {
            AutoregressiveGenerator generator = AutoregressiveGenerator.builder()
                    .setModel(model)
                    .setTokenizer(loaded.tokenizer())
                    .optConfig(GenerationConfig.builder().optMaxNewTokens(64).build())
                    .build();
            GenerationResult result = generator.generate("Once upon a time");
            System.out.println(result.text() + " [" + result.stats().tokensPerSecond() + " tokens/s]");
            return result;
        }
        // README-EXAMPLE-END
    }

    @Test
    void exampleRunsAndMatchesTheReadme() throws IOException {
        GenerationResult r = example(SharedAssets.require("models/stories260K.gguf"));
        assertEquals(64, r.ids().length);
        assertTrue(r.text().startsWith(", there was a little girl named Lily."), r.text());

        Path self = Path.of("src/test/java/io/specdec/examples/ReadmeExampleTest.java");
        String src = Files.readString(self);
        String snippet = src.substring(src.indexOf("// README-EXAMPLE-START") + 24, src.indexOf("        // README-EXAMPLE-END"));
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String line : snippet.strip().split("\n")) {
            String l = line.strip();
            if (!l.startsWith("return ")) {
                assertTrue(readme.contains(l), "README.md lacks the example line: " + l);
            }
        }
    }
}
