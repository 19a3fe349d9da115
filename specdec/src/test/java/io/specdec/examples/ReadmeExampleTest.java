package io.specdec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Compiles and runs the README's usage example (imports included) and checks that the README shows exactly this
 * code; the example's output is compared with plain decoding of the same prompt.
 */
class ReadmeExampleTest {
    @Test
    void exampleRunsAndMatchesTheReadme() throws IOException {
        Path target = SharedAssets.storyModels().target();
        io.specdec.generate.GenerationResult r = ReadmeExample.run(target,
                SharedAssets.storyModels().draft());
        assertTrue(r.ids().length > 0 && r.ids().length <= 64,
                "at most 64 tokens (fewer when the model ends its story)");
        assertTrue(r.speculation().tau() > 1);
        LoadedModel lm = ModelLoader.load(target);
        try (LlamaModel m = new LlamaModel(lm.weights())) {
            var plain = AutoregressiveGenerator.builder().setModel(m).setTokenizer(lm.tokenizer())
                    .optConfig(io.specdec.generate.GenerationConfig.builder().optMaxNewTokens(64).build()).build()
                    .generate("Once upon a time");
            assertEquals(java.util.Arrays.toString(plain.ids()), java.util.Arrays.toString(r.ids()),
                    "the README's speculative output is the model's own");
        }
        String src = Files.readString(Path.of("src/test/java/io/specdec/examples/ReadmeExample.java"));
        String snippet = src.substring(src.indexOf("// README-EXAMPLE-START") + 24, src.indexOf("// README-EXAMPLE-END"));
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String line : snippet.strip().split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("return ") && !l.startsWith("static ") && !l.equals("}")
                    && !l.startsWith("//")) {
                assertTrue(readme.contains(l), "README.md lacks the example line: " + l);
            }
        }
    }
}
