package io.specdec.train;

import io.specdec.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain-text corpora in the TinyStories file convention: UTF-8 documents separated by lines that hold only
 * {@code <|endoftext|>}. Converts them to and from {@link SampleFile} records. Stateless.
 */
public final class TextCorpus {
    /** The separator line. */
    public static final String SEPARATOR = "<|endoftext|>";

    private TextCorpus() {}

    /** The documents of {@code path} (stripped; blank ones dropped). */
    public static List<String> read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(path + ": no such text file");
        }
        List<String> docs = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            if (line.strip().equals(SEPARATOR)) {
                add(docs, cur);
            } else {
                if (cur.length() > 0) {
                    cur.append('\n');
                }
                cur.append(line);
            }
        }
        add(docs, cur);
        return docs;
    }

    private static void add(List<String> docs, StringBuilder cur) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            docs.add(s);
        }
        cur.setLength(0);
    }

    /** Writes documents with separator lines between them. */
    public static void write(Path path, List<String> docs) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String d : docs) {
            b.append(d.strip()).append('\n').append(SEPARATOR).append('\n');
        }
        Files.writeString(path, b, StandardCharsets.UTF_8);
    }

    /**
     * The stories inside sampled sequences: each record is cut at BOS and EOS tokens (llama2.c models start every
     * story with BOS and never emit EOS). A last fragment that the length cap cut off (no BOS or EOS after it) is
     * kept up to its last sentence end ({@code . ! ?}, with a closing quote) and dropped when it has none. Fragments
     * are decoded with {@code tokenizer}.
     */
    public static List<String> stories(List<SampleFile.Sample> samples, Tokenizer tokenizer) {
        List<String> out = new ArrayList<>();
        int bos = tokenizer.bosId();
        int eos = tokenizer.eosId();
        for (SampleFile.Sample s : samples) {
            int[] ids = s.ids();
            int start = 0;
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == bos || ids[i] == eos) {
                    if (i > start) {
                        String text = tokenizer.decode(java.util.Arrays.copyOfRange(ids, start, i)).strip();
                        if (!text.isEmpty()) {
                            out.add(text);
                        }
                    }
                    start = i + 1;
                }
            }
            if (start < ids.length) {
                String tail = sentences(tokenizer.decode(java.util.Arrays.copyOfRange(ids, start, ids.length)));
                if (!tail.isEmpty()) {
                    out.add(tail);
                }
            }
        }
        return out;
    }

    /** {@code text} up to and including its last sentence end (stripped), or "" when it has none. */
    static String sentences(String text) {
        int end = -1;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '.' || ch == '!' || ch == '?') {
                end = i + 1;
                if (end < text.length() && text.charAt(end) == '"') {
                    end++;
                }
            }
        }
        return end < 0 ? "" : text.substring(0, end).strip();
    }

    /** Each document as {@code BOS + encode(doc) + EOS}, cut to {@code maxLength} tokens (prompt length 0). */
    public static List<SampleFile.Sample> encode(List<String> docs, Tokenizer tokenizer, int maxLength) {
        return encode(docs, tokenizer, maxLength, false);
    }

    /**
     * As {@link #encode(List, Tokenizer, int)}; with {@code parseSpecial} the vocabulary's control tokens written in
     * the text (a chat template's {@code <|im_start|>}) become single tokens.
     */
    public static List<SampleFile.Sample> encode(List<String> docs, Tokenizer tokenizer, int maxLength,
            boolean parseSpecial) {
        List<SampleFile.Sample> out = new ArrayList<>();
        for (String d : docs) {
            int[] ids = tokenizer.encode(d, true, parseSpecial);
            int[] withEos = java.util.Arrays.copyOf(ids, Math.min(ids.length + 1, maxLength));
            if (ids.length + 1 <= maxLength) {
                withEos[ids.length] = tokenizer.eosId();
            }
            if (withEos.length >= 2) {
                out.add(new SampleFile.Sample(0, withEos));
            }
        }
        return out;
    }
}
