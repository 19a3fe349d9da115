package io.specdec.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The special and added tokens of a vocabulary, and how text is cut around them before it reaches the tokenizer's
 * model. Reference: llama.cpp {@code llama_vocab::impl::tokenizer_st_partition} and the Hugging Face tokenizers'
 * added-token split. Tokens of GGUF type control (3) and unknown (2) — {@code <|eot_id|>}, {@code <|im_start|>},
 * {@code <s>} — are matched only when {@code parseSpecial} is asked for (chat templates ask; user text does not);
 * user-defined tokens (type 4, such as NeoX's whitespace runs or Phi-3's {@code <|user|>}) are always matched, as
 * Hugging Face does. Longer tokens are matched first; each token cuts every text fragment left by the longer ones.
 * A token marked {@code rstrip} eats the white space after it, {@code lstrip} the white space before it.
 * Immutable and thread-safe.
 */
public final class SpecialTokens {
    /** GGUF token types. */
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;

    /** One special token: its id and text, whether it needs {@code parseSpecial}, and its strip flags. */
    public record Entry(int id, String text, boolean needsParseSpecial, boolean lstrip, boolean rstrip) {}

    /** Receives the fragments of a partitioned text, in order. */
    public interface Sink {
        /** A span of ordinary text (never empty). */
        void text(String text);

        /** A special token matched in the text. */
        void token(int id);
    }

    /**
     * Token texts that end a generation wherever they occur in a vocabulary (llama.cpp's list in
     * {@code llama_vocab::impl::load}: Llama-3's end of turn and of message, ChatML's, Phi-3's, Gemma's, GPT-2's
     * end of text, CodeLlama's).
     */
    public static final List<String> END_OF_GENERATION_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>");

    private static final SpecialTokens NONE = new SpecialTokens(List.of(), new int[0]);

    private final List<Entry> entries;
    private final int[] endOfGeneration;

    private SpecialTokens(List<Entry> entries, int[] endOfGeneration) {
        this.entries = entries;
        this.endOfGeneration = endOfGeneration;
    }

    /**
     * A copy whose end-of-generation ids are {@code ids} plus every token whose text is one of
     * {@link #END_OF_GENERATION_TEXTS}.
     *
     * @param tokens the vocabulary's token texts
     * @param ids explicit ids (EOS, GGUF {@code tokenizer.ggml.eot_token_id}/{@code eom_token_id}); negatives ignored
     */
    public SpecialTokens withEndOfGeneration(String[] tokens, int... ids) {
        java.util.TreeSet<Integer> set = new java.util.TreeSet<>();
        for (int id : ids) {
            if (id >= 0 && id < tokens.length) {
                set.add(id);
            }
        }
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] != null && END_OF_GENERATION_TEXTS.contains(tokens[id])) {
                set.add(id);
            }
        }
        return new SpecialTokens(entries, set.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The ids that end a generation (sorted; empty unless set by {@link #withEndOfGeneration}). */
    public int[] endOfGeneration() {
        return endOfGeneration.clone();
    }

    /** No special tokens: text passes through whole. */
    public static SpecialTokens none() {
        return NONE;
    }

    /**
     * The control, unknown and user-defined tokens of a GGUF vocabulary.
     *
     * @param tokens the token texts
     * @param types GGUF token types per id ({@code null}: none are special)
     * @param stripAfter whether every special token eats the white space after it (llama.cpp sets this for Phi-3
     *     models, by name, except for {@code <unk>}, {@code <s>} and {@code <|endoftext|>})
     */
    public static SpecialTokens fromTypes(String[] tokens, int[] types, boolean stripAfter) {
        if (types == null) {
            return NONE;
        }
        List<Entry> list = new ArrayList<>();
        for (int id = 0; id < tokens.length; id++) {
            int t = types[id];
            if ((t == TYPE_CONTROL || t == TYPE_UNKNOWN || t == TYPE_USER_DEFINED) && !tokens[id].isEmpty()) {
                String s = tokens[id];
                boolean rstrip = stripAfter && !s.equals("<unk>") && !s.equals("<s>") && !s.equals("<|endoftext|>");
                list.add(new Entry(id, s, t != TYPE_USER_DEFINED, false, rstrip));
            }
        }
        if (stripAfter) {
            // llama.cpp also strips after </s> for Phi-3 (listed separately there; it is a control token already)
            for (int i = 0; i < list.size(); i++) {
                Entry e = list.get(i);
                if (e.text().equals("</s>") && !e.rstrip()) {
                    list.set(i, new Entry(e.id(), e.text(), e.needsParseSpecial(), e.lstrip(), true));
                }
            }
        }
        return of(list);
    }

    /** Special tokens from explicit entries (e.g. a tokenizer.json's added tokens). */
    public static SpecialTokens of(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt((Entry e) -> utf8Length(e.text())).reversed()
                .thenComparingInt(Entry::id));
        return sorted.isEmpty() ? NONE : new SpecialTokens(List.copyOf(sorted), new int[0]);
    }

    /** The entries, longest text first. */
    public List<Entry> entries() {
        return entries;
    }

    /** The id of the special token whose text is {@code text}, or -1. */
    public int idOf(String text) {
        for (Entry e : entries) {
            if (e.text().equals(text)) {
                return e.id();
            }
        }
        return -1;
    }

    /**
     * Cuts {@code text} at the special tokens that apply and hands the fragments to {@code sink} in order.
     *
     * @param parseSpecial whether control and unknown tokens are recognised in the text (user-defined ones always
     *     are)
     */
    public void partition(String text, boolean parseSpecial, Sink sink) {
        if (text.isEmpty()) {
            return;
        }
        // fragments: a String is raw text, an Integer a matched token id
        List<Object> frags = new ArrayList<>();
        frags.add(text);
        for (Entry e : entries) {
            if (e.needsParseSpecial() && !parseSpecial) {
                continue;
            }
            List<Object> next = null;
            for (int f = 0; f < frags.size(); f++) {
                Object o = frags.get(f);
                int hit = o instanceof String ? ((String) o).indexOf(e.text()) : -1;
                if (hit < 0) {
                    if (next != null) {
                        next.add(o);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(frags.subList(0, f));
                }
                String s = (String) o;
                int from = 0;
                while (hit >= 0) {
                    int leftEnd = hit;
                    if (e.lstrip()) {
                        while (leftEnd > from && isSpace(s.charAt(leftEnd - 1))) {
                            leftEnd--;
                        }
                    }
                    if (leftEnd > from) {
                        next.add(s.substring(from, leftEnd));
                    }
                    next.add(e.id());
                    from = hit + e.text().length();
                    if (e.rstrip()) {
                        while (from < s.length() && isSpace(s.charAt(from))) {
                            from++;
                        }
                    }
                    hit = s.indexOf(e.text(), from);
                }
                if (from < s.length()) {
                    next.add(s.substring(from));
                }
            }
            if (next != null) {
                frags = next;
            }
        }
        for (Object o : frags) {
            if (o instanceof String) {
                sink.text((String) o);
            } else {
                sink.token((Integer) o);
            }
        }
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** C's {@code isspace} in the "C" locale, as llama.cpp strips with it. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
