package io.specdec.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded demo models, shipped as resources of this jar and produced by specdec's own code (recipe, seeds, data
 * sizes, validation loss and sample outputs: {@code docs/DEMO.md}):
 * <ul>
 *   <li>{@link #target()}: {@code demo-target.gguf}, a 4-layer, dim-128 Llama story model (F16 matrices) trained
 *       from scratch on stories sampled from stories260K, with a 512-piece byte-fallback BPE tokenizer trained on
 *       the same text (embedded in the GGUF);</li>
 *   <li>{@link #draft()}: {@code demo-draft.gguf}, a draft distilled for the demo target from the target's own
 *       samples (same vocabulary);</li>
 *   <li>{@link #chatTarget()}: {@code chat-target.gguf}, the demo target fine-tuned on ChatML conversations built
 *       from its own stories (two added control tokens, {@code <|im_start|>} and {@code <|im_end|>}, and its ChatML
 *       template embedded as {@code tokenizer.chat_template}), context 512;</li>
 *   <li>{@link #chatDraft()}: {@code chat-draft.gguf}, the demo draft fine-tuned on the same conversations (the chat
 *       target's vocabulary);</li>
 *   <li>{@link #prompts()}: a few story openings for demos and tests.</li>
 * </ul>
 * The loaders memory-map files, so the models are returned as paths: straight from the classpath folder when the
 * resources are plain files (a build tree), else copied once per JVM into a temporary folder that is deleted at exit.
 * Thread-safe.
 */
public final class DemoModels {
    /** Resource name of the demo target. */
    public static final String TARGET = "demo-target.gguf";
    /** Resource name of the demo draft. */
    public static final String DRAFT = "demo-draft.gguf";
    /** Resource name of the chat demo target. */
    public static final String CHAT_TARGET = "chat-target.gguf";
    /** Resource name of the chat demo draft. */
    public static final String CHAT_DRAFT = "chat-draft.gguf";
    private static final String PROMPTS = "prompts.txt";
    private static Path extracted;

    private DemoModels() {}

    /** Path of the demo target GGUF (tokenizer embedded). */
    public static Path target() {
        return file(TARGET);
    }

    /** Path of the demo draft GGUF (the target's vocabulary). */
    public static Path draft() {
        return file(DRAFT);
    }

    /** Path of the chat demo (ChatML template and end-of-turn token embedded). */
    public static Path chatTarget() {
        return file(CHAT_TARGET);
    }

    /** Path of the chat demo's draft (the chat demo's vocabulary). */
    public static Path chatDraft() {
        return file(CHAT_DRAFT);
    }

    /** Story openings, one per entry (the demo's default prompts). */
    public static List<String> prompts() {
        try (InputStream in = open(PROMPTS)) {
            List<String> out = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank()) {
                    out.add(l.strip());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("demo resource " + PROMPTS + ": " + e.getMessage(), e);
        }
    }

    private static InputStream open(String name) {
        InputStream in = DemoModels.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("demo resource io/specdec/demo/" + name + " is missing from the"
                    + " classpath (is specdec-demo on it?)");
        }
        return in;
    }

    private static synchronized Path file(String name) {
        URL url = DemoModels.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("demo resource io/specdec/demo/" + name + " is missing from the"
                    + " classpath (is specdec-demo on it?)");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // fall through to a copy
            }
        }
        try {
            if (extracted == null) {
                extracted = Files.createTempDirectory("specdec-demo");
                extracted.toFile().deleteOnExit();
            }
            Path p = extracted.resolve(name);
            if (!Files.isRegularFile(p)) {
                Path tmp = Files.createTempFile(extracted, name, ".part");
                try (InputStream in = open(name)) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
                p.toFile().deleteOnExit();
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract demo resource " + name + " to a temporary folder: "
                    + e.getMessage(), e);
        }
    }
}
