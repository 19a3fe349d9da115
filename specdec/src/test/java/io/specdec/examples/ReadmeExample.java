package io.specdec.examples;

// README-EXAMPLE-START
import io.specdec.Specdec;
import io.specdec.generate.GenerationResult;
import java.nio.file.Path;

public class ReadmeExample {
    static GenerationResult run(Path model, Path draft) {
        try (Specdec lm = Specdec.builder()
                .setModel(model)                 // GGUF file, Hugging Face directory or llama2.c .bin
                .optDraftModel(draft)            // speculative decoding with a draft model
                .optMaxNewTokens(64)
                .build()) {
            GenerationResult result = lm.generate("Once upon a time", t -> System.out.print(t.text()));
            System.out.println();
            System.out.println(result.speculation()); // τ, acceptance, time split
            return result;
        }
    }
}
// README-EXAMPLE-END
