package io.specdec.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizer of a byte-level BPE vocabulary: how text is cut into words before merges, named by GGUF's
 * {@code tokenizer.ggml.pre}. Reference: llama.cpp {@code src/llama-vocab.cpp} ({@code llm_tokenizer_bpe}: the
 * table of names → pre-tokenizer types, and each type's list of regular expressions) and {@code src/unicode.cpp}
 * ({@code unicode_regex_split}). The expressions are applied in order; each one cuts every piece left by the previous
 * ones on its own (a match never crosses a piece boundary, {@code $} and look-ahead see only the piece), and both the
 * matches and the unmatched spans between them become pieces. Categories ({@code \p{L}}, {@code \p{N}},
 * {@code \p{P}}, {@code \p{S}}, {@code \p{M}}) and {@code \s} are Unicode's, as in the Hugging Face tokenizers that
 * llama.cpp's test vectors were made with.
 *
 * <p>Each type also carries llama.cpp's per-type settings: {@link #ignoreMerges()} (a word that is itself a token is
 * not merged: Llama-3, Tekken) and {@link #addBos()}. Immutable and thread-safe.
 */
public final class PreTokenizer {
    private static final String RX_GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String RX_LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String RX_QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String CJK = "[\\x{4e00}-\\x{9fa5}\\x{800}-\\x{4e00}\\x{ac00}-\\x{d7ff}]+";
    private static final String DEEPSEEK_LLM_LETTERS =
            "\\s?[A-Za-z\\x{b5}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}\\x{1c4}-"
            + "\\x{293}\\x{295}-\\x{2af}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37b}-\\x{37d}\\x{37f}\\x{386}"
            + "\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-\\x{481}\\x{48a}-\\x{52f}"
            + "\\x{531}-\\x{556}\\x{10a0}-\\x{10c5}\\x{13a0}-\\x{13f5}\\x{13f8}-\\x{13fd}\\x{1c90}-\\x{1cba}"
            + "\\x{1cbd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}\\x{1d6b}-\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}"
            + "\\x{1f18}-\\x{1f1d}\\x{1f20}-\\x{1f45}\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}"
            + "\\x{1f5d}\\x{1f5f}-\\x{1f7d}\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1fbc}\\x{1fbe}\\x{1fc2}-\\x{1fc4}"
            + "\\x{1fc6}-\\x{1fcc}\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-\\x{1fec}\\x{1ff2}-\\x{1ff4}"
            + "\\x{1ff6}-\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}\\x{2115}\\x{2119}-\\x{211d}\\x{2124}"
            + "\\x{2126}\\x{2128}\\x{212a}-\\x{212d}\\x{212f}-\\x{2134}\\x{2139}\\x{213c}-\\x{213f}\\x{2145}-"
            + "\\x{2149}\\x{214e}\\x{2183}\\x{2184}\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}\\x{2ceb}-\\x{2cee}"
            + "\\x{2cf2}\\x{2cf3}\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-\\x{a76f}\\x{a771}-\\x{a787}"
            + "\\x{a78b}-\\x{a78e}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}\\x{fb13}-\\x{fb17}\\x{ff21}-\\x{ff3a}"
            + "\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}\\x{104d8}-\\x{104fb}\\x{10c80}-"
            + "\\x{10cb2}\\x{10cc0}-\\x{10cf2}\\x{118a0}-\\x{118df}\\x{1e900}-\\x{1e943}]+";
    private static final String DEEPSEEK_LLM_PUNCT = "\\s?[!-/:-~\\x{ff01}-\\x{ff0f}\\x{ff1a}-\\x{ff5e}\\x{2018}-\\x{201f}\\x{3000}-\\x{3002}]+";
    private static final String DEEPSEEK3_CJK = "[\\x{4e00}-\\x{9fa5}\\x{3040}-\\x{309f}\\x{30a0}-\\x{30ff}]+";
    private static final String FINNISH = " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{ff0c}\\x{3001}\\x{964}\\x{6d4}\\x{60c})]+";

    /** Pre-tokenizer types: the expressions and the settings of one llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_*}. */
    private enum Type {
        DEFAULT(false, false, "[\\p{P}\\$\\+<=>\\^~\\|]+", RX_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
        LLAMA3(true, true, RX_LLAMA3),
        DEEPSEEK_LLM(false, false, "[\r\n]", DEEPSEEK_LLM_LETTERS, DEEPSEEK_LLM_PUNCT, "\\s+$", CJK,
                "\\p{N}+"),
        DEEPSEEK3_LLM(false, false, "\\p{N}{1,3}", DEEPSEEK3_CJK,
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                        + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
        DEEPSEEK_CODER(false, false, "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}"),
        FALCON(false, false, "[\\p{P}\\$\\+<=>\\^~\\|`]+", RX_GPT2, "[0-9][0-9][0-9]"),
        STARCODER(false, false, "\\p{N}", RX_GPT2),
        GPT2(false, false, RX_GPT2),
        QWEN2(false, false, RX_QWEN2),
        BLOOM(false, false, FINNISH),
        VIKING(false, false, FINNISH, "\\p{N}"),
        TEKKEN(true, true, "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
                + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        CHAMELEON(false, true, "<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
                "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", RX_GPT2);

        final boolean ignoreMerges;
        final boolean addBos;
        final String[] regexes;

        Type(boolean ignoreMerges, boolean addBos, String... regexes) {
            this.ignoreMerges = ignoreMerges;
            this.addBos = addBos;
            this.regexes = regexes;
        }
    }

    /** {@code tokenizer.ggml.pre} names → types, as llama.cpp's vocab loader maps them. */
    private static final Map<String, Type> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("default", Type.DEFAULT);
        for (String n : new String[] {"llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe"}) {
            NAMES.put(n, Type.LLAMA3);
        }
        NAMES.put("chatglm-bpe", Type.LLAMA3); // same expression as Llama-3 (CHATGLM4); no BOS, merges kept: below
        NAMES.put("deepseek-llm", Type.DEEPSEEK_LLM);
        NAMES.put("deepseek-coder", Type.DEEPSEEK_CODER);
        NAMES.put("deepseek-v3", Type.DEEPSEEK3_LLM);
        NAMES.put("falcon", Type.FALCON);
        for (String n : new String[] {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                "minerva-7b"}) {
            NAMES.put(n, Type.STARCODER);
        }
        for (String n : new String[] {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es",
                "jina-v2-de", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"}) {
            NAMES.put(n, Type.GPT2);
        }
        for (String n : new String[] {"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"}) {
            NAMES.put(n, Type.QWEN2);
        }
        for (String n : new String[] {"poro-chat", "bloom", "gpt3-finnish"}) {
            NAMES.put(n, Type.BLOOM);
        }
        NAMES.put("viking", Type.VIKING);
        NAMES.put("tekken", Type.TEKKEN);
        NAMES.put("chameleon", Type.CHAMELEON);
    }

    private final String name;
    private final Pattern[] patterns;
    private final boolean ignoreMerges;
    private final boolean addBos;

    private PreTokenizer(String name, Type type) {
        this.name = name;
        this.patterns = new Pattern[type.regexes.length];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = Pattern.compile(type.regexes[i], Pattern.UNICODE_CHARACTER_CLASS);
        }
        boolean glm = name.equals("chatglm-bpe");
        this.ignoreMerges = type.ignoreMerges && !glm;
        this.addBos = type.addBos && !glm;
    }

    /**
     * The pre-tokenizer named {@code pre} (GGUF {@code tokenizer.ggml.pre}); {@code null} or empty gives
     * {@code default}, as llama.cpp does for files written before the key existed.
     *
     * @throws IllegalArgumentException naming {@code pre} and the supported names when it is not one of them
     */
    public static PreTokenizer named(String pre) {
        String n = pre == null || pre.isEmpty() ? "default" : pre;
        Type t = NAMES.get(n);
        if (t == null) {
            throw new IllegalArgumentException("unknown pre-tokenizer '" + pre + "' (supported: "
                    + String.join(", ", NAMES.keySet()) + ")");
        }
        return new PreTokenizer(n, t);
    }

    /** The supported {@code tokenizer.ggml.pre} names, in llama.cpp's order. */
    public static List<String> supportedNames() {
        return List.copyOf(NAMES.keySet());
    }

    /** The expressions, in order (Java regex syntax, which Oniguruma in Hugging Face's tokenizers also reads). */
    public List<String> expressions() {
        List<String> out = new ArrayList<>();
        for (Pattern p : patterns) {
            out.add(p.pattern());
        }
        return out;
    }

    /** The name this pre-tokenizer was made from. */
    public String name() {
        return name;
    }

    /** Whether a word that is itself a vocabulary entry is emitted whole instead of merged (Llama-3, Tekken). */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** Whether the model adds BOS by default (llama.cpp's per-type {@code add_bos}; a GGUF key overrides it). */
    public boolean addBos() {
        return addBos;
    }

    /**
     * Cuts {@code text} into words. Every code point of the text lands in exactly one word, in order; no word is
     * empty. Time is linear in the text for all the built-in expressions.
     */
    public List<String> split(String text) {
        List<int[]> pieces = new ArrayList<>();
        if (!text.isEmpty()) {
            pieces.add(new int[] {0, text.length()});
        }
        for (Pattern p : patterns) {
            List<int[]> next = new ArrayList<>(pieces.size() * 2);
            Matcher m = p.matcher(text);
            for (int[] piece : pieces) {
                int at = piece[0];
                m.region(piece[0], piece[1]);
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue; // an empty match cuts nothing (and no built-in expression has one)
                    }
                    if (m.start() > at) {
                        next.add(new int[] {at, m.start()});
                    }
                    next.add(new int[] {m.start(), m.end()});
                    at = m.end();
                }
                if (at < piece[1]) {
                    next.add(new int[] {at, piece[1]});
                }
            }
            pieces = next;
        }
        List<String> words = new ArrayList<>(pieces.size());
        for (int[] piece : pieces) {
            words.add(text.substring(piece[0], piece[1]));
        }
        return words;
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + "]";
    }
}
