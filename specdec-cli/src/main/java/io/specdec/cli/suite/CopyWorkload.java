package io.specdec.cli.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The copy workload (BENCHMARKING.md): each story of a {@code <|endoftext|>}-separated file, followed by a newline
 * and its first eight words again, so that the continuation tends to repeat the passage.
 */
public final class CopyWorkload {
    private CopyWorkload() {}

    /** One prompt per story in the file. */
    public static List<String> of(Path stories) throws IOException {
        List<String> out = new ArrayList<>();
        for (String story : Files.readString(stories, StandardCharsets.UTF_8).split("<\\|endoftext\\|>")) {
            String s = story.strip();
            if (s.isEmpty()) {
                continue;
            }
            String[] words = s.split("\\s+");
            out.add(s + "\n" + String.join(" ", Arrays.copyOf(words, Math.min(8, words.length))));
        }
        return out;
    }
}
