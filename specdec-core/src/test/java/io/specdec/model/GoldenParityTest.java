package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.testing.SharedAssets;
import io.specdec.testing.SharedAssets.Golden;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every loader path reproduces the independent references in {@code shared/golden}: llama2.c {@code run.c} (F32) for
 * GGUF, llama2.c and HF F32; an independent PyTorch forward for the BF16 sharded copy. Prompt ids, every greedy
 * argmax, and the max logit at every position (≤ 1e-4) are compared.
 */
class GoldenParityTest {

    /** Every loader on both backends of the one forward (GGUF and llama2.c pair RoPE interleaved, HF half-split). */
    @ParameterizedTest(name = "{0} on {2}")
    @CsvSource({
        "models/stories260K.gguf, stories260K-greedy.jsonl, vector",
        "models/stories260K.bin, stories260K-greedy.jsonl, vector",
        "models/stories260K-hf, stories260K-greedy.jsonl, vector",
        "models/stories260K-hf-bf16-sharded, stories260K-hf-bf16-greedy.jsonl, vector",
        "models/stories260K.gguf, stories260K-greedy.jsonl, torch",
        "models/stories260K.bin, stories260K-greedy.jsonl, torch",
        "models/stories260K-hf, stories260K-greedy.jsonl, torch",
        "models/stories260K-hf-bf16-sharded, stories260K-hf-bf16-greedy.jsonl, torch"
    })
    void reproducesGoldenGreedy(String model, String golden, String kernel) {
        Path p = SharedAssets.require(model);
        List<Golden> refs = SharedAssets.golden(golden);
        try (LoadedModel lm = ModelLoader.load(p); LlamaModel m = lm.newModel(kernel)) {
            assertEquals(kernel, m.kernel());
            for (Golden g : refs) {
                int[] enc = lm.tokenizer().encode(g.prompt(), true);
                assertArrayEquals(g.promptIds(), enc, "prompt ids for '" + g.prompt() + "'");
                int steps = g.argmax().length;
                int[] ids = new int[steps + 1];
                System.arraycopy(g.promptIds(), 0, ids, 0, g.promptIds().length);
                int[] argmax = new int[steps];
                float maxErr = 0;
                try (KvCache cache = m.newCache(steps)) {
                    int n = g.promptIds().length;
                    ForwardResult r = m.forward(cache, g.promptIds(), ForwardOptions.DEFAULT);
                    for (int i = 0; i < n; i++) {
                        argmax[i] = r.argmax(i);
                        maxErr = Math.max(maxErr, Math.abs(r.logits()[i * r.vocab() + argmax[i]] - g.maxLogit()[i]));
                    }
                    ids[n] = argmax[n - 1];
                    for (int pos = n; pos < steps; pos++) {
                        r = m.forward(cache, new int[] {ids[pos]}, ForwardOptions.DEFAULT);
                        argmax[pos] = r.argmax(0);
                        maxErr = Math.max(maxErr, Math.abs(r.logits()[argmax[pos]] - g.maxLogit()[pos]));
                        ids[pos + 1] = argmax[pos];
                    }
                }
                assertArrayEquals(g.argmax(), argmax, "greedy argmax for '" + g.prompt() + "' via " + model + " on "
                        + kernel);
                assertArrayEquals(g.ids(), ids, "ids for '" + g.prompt() + "'");
                assertTrue(maxErr <= 1e-4, "max logit error " + maxErr + " > 1e-4 for '" + g.prompt() + "'");
                if (g.text() != null) {
                    int[] gen = java.util.Arrays.copyOfRange(ids, 1, ids.length);
                    // run.c ends its output with one newline of its own
                    String expected = g.text().endsWith("\n") ? g.text().substring(0, g.text().length() - 1) : g.text();
                    assertEquals(expected, lm.tokenizer().decode(gen), "decoded text");
                }
            }
        }
    }
}
