package io.specdec.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.format.CheckpointException;
import io.specdec.io.CheckpointWriter;
import io.specdec.io.HfLoader;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoPE scaling against an independent reference: the inverse frequencies below were computed by a plain-Python
 * transcription of Hugging Face transformers' {@code modeling_rope_utils} ({@code _compute_llama3_parameters},
 * {@code _compute_yarn_parameters}, {@code _compute_linear_scaling_rope_parameters}), not by this code. The runtime's
 * cos/sin tables must turn pair i by {@code p · inv_freq[i]} and, for YaRN, carry its attention factor.
 */
class RopeScalingTest {
    private static final int[] IDX = {0, 5, 10, 20, 30, 40, 45, 50, 55, 63};
    // Llama-3.1-8B: theta 500000, head 128, factor 8, low 1, high 4, original 8192
    private static final double[] LLAMA3 = {1.0, 0.35873022375128993, 0.12868737343265052, 0.016560440080994446,
        0.0013718935677611381, 3.428102195952591e-05, 1.2297638677963614e-05, 4.411534674558404e-06,
        1.58255082089091e-06, 3.068925988914511e-07};
    // YaRN: theta 10000, head 128, factor 4, original 4096, beta 32/1; attention factor 0.1 ln 4 + 1
    private static final double[] YARN = {1.0, 0.48696752516586306, 0.23713737056616555, 0.056234132519034905,
        0.009488517882700576, 0.0013378867023789293, 0.0004294025889973582, 0.00018747355233311394,
        9.129353181370943e-05, 2.8869549617236455e-05};
    private static final double YARN_ATTENTION = 1.138629436111989;
    // linear x2: theta 10000, head 128
    private static final double[] LINEAR = {0.5, 0.24348376258293153, 0.11856868528308277, 0.028117066259517452,
        0.00666760716081662, 0.0015811388300841895, 0.0007699632630297459, 0.0003749471046662279,
        0.00018258706362741885, 5.773909923447291e-05};

    private static LlamaConfig config(float theta, RopeScaling r) {
        return new LlamaConfig(256, 512, 1, 2, 2, 128, 32, 2048, 1e-5f, theta, true, false, 1, 2, r);
    }

    private static void check(LlamaConfig c, double[] inv, double m) {
        float[][] t = LlamaForward.ropeTables(c);
        int half = c.headDim() / 2;
        for (int k = 0; k < IDX.length; k++) {
            int j = IDX[k];
            for (int p : new int[] {1, 7, 1000, 2047}) {
                double a = p * inv[k];
                double tol = 2e-6 * Math.max(1, p * inv[k]) + 1e-6;
                assertEquals(Math.cos(a) * m, t[0][p * half + j], tol * 10, "cos p=" + p + " pair " + j);
                assertEquals(Math.sin(a) * m, t[1][p * half + j], tol * 10, "sin p=" + p + " pair " + j);
            }
        }
    }

    @Test
    void tablesTurnByTheReferenceFrequencies() {
        check(config(500000f, RopeScaling.llama3(8, 8192, 1, 4)), LLAMA3, 1);
        check(config(10000f, RopeScaling.yarn(4, 4096, 32, 1, 0)), YARN, YARN_ATTENTION);
        check(config(10000f, RopeScaling.linear(2)), LINEAR, 1);
        assertEquals(YARN_ATTENTION, RopeScaling.yarn(4, 4096, 32, 1, 0).attentionFactor(), 1e-12);
    }

    @Test
    void configJsonRopeScalingIsReadAndBadOnesAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("config.json");
        String base = "{\"hidden_size\": 256, \"intermediate_size\": 512, \"num_hidden_layers\": 1,"
                + " \"num_attention_heads\": 2, \"vocab_size\": 32, \"max_position_embeddings\": 131072,"
                + " \"rope_theta\": 500000.0, \"rope_scaling\": ";
        Files.writeString(cfg, base + "{\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}");
        LlamaConfig c = HfLoader.config(cfg);
        assertEquals(RopeScaling.llama3(8, 8192, 1, 4), c.ropeScaling());
        check(c.withContextLength(2048), LLAMA3, 1);
        Files.writeString(cfg, base + "{\"type\": \"linear\", \"factor\": 2.0}}");
        assertEquals(RopeScaling.linear(2), HfLoader.config(cfg).ropeScaling());
        Files.writeString(cfg, base + "{\"rope_type\": \"dynamic\", \"factor\": 2.0}}");
        CheckpointException dyn = assertThrows(CheckpointException.class, () -> HfLoader.config(cfg));
        assertEquals(cfg + ": rope_scaling type 'dynamic' is not supported (supported: default, linear, llama3,"
                + " yarn)", dyn.getMessage());
        Files.writeString(cfg, base + "{\"rope_type\": \"yarn\"}}");
        CheckpointException noFactor = assertThrows(CheckpointException.class, () -> HfLoader.config(cfg));
        assertEquals(cfg + ": rope_scaling of type 'yarn' has no 'factor'", noFactor.getMessage());
    }

    @Test
    void scalingSurvivesGgufAndHfRoundTrips(@TempDir Path dir) throws Exception {
        try (LoadedModel lm = ModelLoader.load(SharedAssets.require("models/stories260K.gguf"))) {
            LlamaWeights w = lm.weights();
            RopeScaling[] all = {RopeScaling.linear(2), RopeScaling.llama3(8, 64, 1, 4),
                RopeScaling.yarn(4, 128, 32, 1, 0)};
            for (RopeScaling r : all) {
                LlamaWeights scaled = w.withRopeScaling(r);
                Path gguf = dir.resolve(r.type() + ".gguf");
                CheckpointWriter.writeGguf(scaled, (io.specdec.tokenizer.SentencePieceBpeTokenizer) lm.tokenizer(),
                        gguf);
                float[][] want = LlamaForward.ropeTables(scaled.config());
                try (LoadedModel back = ModelLoader.load(gguf)) {
                    RopeScaling got = back.config().ropeScaling();
                    assertEquals(r.type().equals("llama3") ? "factors" : r.type(), got.type());
                    float[][] have = LlamaForward.ropeTables(back.config());
                    for (int i = 0; i < 2; i++) {
                        assertArrayEquals(want[i], have[i], 1e-5f, r + " GGUF round trip");
                    }
                }
                Path hf = dir.resolve(r.type() + "-hf");
                CheckpointWriter.writeHf(scaled, hf, io.specdec.tensor.GgmlType.F32);
                assertEquals(r, HfLoader.config(hf.resolve("config.json")).ropeScaling());
            }
            // scaling changes what the model computes (the runtime uses it, not only the loader)
            assertTrue(!java.util.Arrays.equals(LlamaForward.ropeTables(w.config())[0],
                    LlamaForward.ropeTables(w.withRopeScaling(RopeScaling.linear(2)).config())[0]));
        }
    }
}
