package io.specdec.verify;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Judge Decoding's judge (Bachmann et al. 2025, "Judge Decoding: Faster Speculative Sampling Requires Going Beyond
 * Model Alignment"; ALGORITHMS.md §9): a linear classifier on the target's final-norm hidden state of a drafted
 * token's own row, {@code P(acceptable) = sigmoid(w · h + b)}. Stored as a small JSON file ({@code dim}, {@code weight},
 * {@code bias}, {@code target}: the target's name and dimension it was trained on). Immutable; thread-safe.
 *
 * @param weight {@code [dim]}
 * @param bias the intercept
 * @param target what it was trained on (for messages)
 */
public record JudgeHead(float[] weight, float bias, String target) {
    private static final Gson GSON = new Gson();

    public JudgeHead {
        weight = weight.clone();
    }

    @Override
    public float[] weight() {
        return weight.clone();
    }

    /** Hidden size it reads. */
    public int dim() {
        return weight.length;
    }

    /** {@code sigmoid(w · h + b)}. */
    public double score(float[] h) {
        if (h.length != weight.length) {
            throw new IllegalArgumentException("judge head for " + target + " reads hidden states of size " + weight.length
                    + ", found " + h.length);
        }
        double z = bias;
        for (int i = 0; i < h.length; i++) {
            z += (double) weight[i] * h[i];
        }
        return 1 / (1 + Math.exp(-z));
    }

    private record Stored(int dim, float[] weight, float bias, String target) {}

    /** Writes the head as JSON. */
    public void save(Path file) throws IOException {
        Files.writeString(file, GSON.toJson(new Stored(weight.length, weight, bias, target)), StandardCharsets.UTF_8);
    }

    /** Reads a head written by {@link #save}; one-line errors name the file and what is wrong. */
    public static JudgeHead load(Path file) throws IOException {
        Stored s;
        try {
            s = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), Stored.class);
        } catch (JsonParseException | java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + ": not a judge head (JSON with dim, weight, bias): "
                    + e.getMessage());
        }
        if (s == null || s.weight() == null || s.dim() != s.weight().length || s.dim() < 1) {
            throw new IllegalArgumentException(file + ": not a judge head: expected dim = length of weight >= 1");
        }
        for (float v : s.weight()) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(file + ": judge weight has a non-finite value");
            }
        }
        return new JudgeHead(s.weight(), s.bias(), s.target() == null ? "?" : s.target());
    }
}
