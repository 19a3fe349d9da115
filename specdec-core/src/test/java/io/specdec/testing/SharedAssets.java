package io.specdec.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Locates the read-only {@code shared/} folder: environment variable {@code SPECDEC_SHARED}, else system property
 * {@code specdec.shared} (set by surefire), else {@code ../shared}. Tests that need it call {@link #require}, which
 * skips them with a message naming {@code SPECDEC_SHARED} when the folder is absent (CI always has it).
 */
public final class SharedAssets {
    private SharedAssets() {}

    /** The shared folder (may not exist). */
    public static Path root() {
        String env = System.getenv("SPECDEC_SHARED");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String prop = System.getProperty("specdec.shared");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return Path.of("..", "shared");
    }

    /** {@code root().resolve(relative)}, skipping the calling test if it does not exist. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assumeTrue(Files.exists(p), "shared asset " + p + " not found: set SPECDEC_SHARED to the shared/ folder");
        return p;
    }

    /** Whether the shared stories260K checkpoint is present. */
    public static boolean hasStories() {
        return Files.isRegularFile(root().resolve("models/stories260K.gguf"));
    }

    /**
     * A story target, its draft and prompts: stories260K, draft43K and the golden prompts when the shared folder has
     * them, else the embedded demo ({@link io.specdec.demo.DemoModels}), so tests that need "a real story model"
     * run without {@code SPECDEC_SHARED}.
     */
    public record StoryModels(Path target, Path draft, List<String> prompts, boolean demo) {}

    /** See {@link StoryModels}. */
    public static StoryModels storyModels() {
        if (hasStories() && Files.isRegularFile(root().resolve("models/draft43K.gguf"))) {
            List<String> prompts = new ArrayList<>();
            for (Golden g : golden("stories260K-greedy.jsonl")) {
                prompts.add(g.prompt());
            }
            return new StoryModels(root().resolve("models/stories260K.gguf"), root().resolve("models/draft43K.gguf"),
                    prompts, false);
        }
        return new StoryModels(io.specdec.demo.DemoModels.target(), io.specdec.demo.DemoModels.draft(),
                io.specdec.demo.DemoModels.prompts(), true);
    }

    /** One line of a golden jsonl file. */
    public record Golden(String prompt, int[] promptIds, int[] ids, int[] argmax, float[] maxLogit, String text) {}

    /** Reads {@code golden/<name>}. */
    public static List<Golden> golden(String name) {
        Path p = require("golden/" + name);
        List<Golden> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                out.add(new Golden(o.get("prompt").getAsString(), ints(o, "prompt_ids"), ints(o, "ids"),
                        ints(o, "argmax"), floats(o, "max_logit"), o.has("text") ? o.get("text").getAsString() : null));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static int[] ints(JsonObject o, String k) {
        var a = o.getAsJsonArray(k);
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        return r;
    }

    private static float[] floats(JsonObject o, String k) {
        var a = o.getAsJsonArray(k);
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsFloat();
        }
        return r;
    }
}
