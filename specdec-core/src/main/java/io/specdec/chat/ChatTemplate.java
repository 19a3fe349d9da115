package io.specdec.chat;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A chat template: the Jinja program that lays a conversation out as the model was trained to see it (GGUF
 * {@code tokenizer.chat_template}, Hugging Face {@code chat_template}), or a named built-in for checkpoints without
 * one. Rendered with HubSpot's Jinjava configured as Hugging Face's {@code apply_chat_template} configures Jinja2
 * ({@code trim_blocks} and {@code lstrip_blocks} on) and given what HF and llama.cpp give templates: {@code messages},
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, {@code raise_exception(msg)},
 * {@code strftime_now(fmt)}, Python's {@code str}/{@code dict} methods ({@link PythonMethods}) and a Python-style
 * {@code tojson}.
 *
 * <p>Like llama.cpp's {@code common_chat_templates_apply} (minja's {@code chat_template}), the template's capabilities
 * are probed once by rendering small conversations: a template that drops or refuses a system message gets it merged
 * into the next user message ("system\nuser"), and a template that reads only typed content parts gets
 * {@code [{"type": "text", "text": ...}]}. Undefined variables render as empty text (Jinja2's default
 * {@code Undefined}). Errors — a template that does not parse, {@code raise_exception}, a failing filter — are
 * {@link ChatTemplateException}s with one line naming the template. Immutable and thread-safe.
 */
public final class ChatTemplate {
    /** Built-in templates by name, for checkpoints that carry none (the common formats, as their model cards give). */
    private static final Map<String, String> BUILTIN = new LinkedHashMap<>();

    static {
        BUILTIN.put("chatml", "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
                + " + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                + "{% endif %}");
        BUILTIN.put("llama3", "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role']"
                + " + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}");
        BUILTIN.put("llama2", "{% if messages[0]['role'] == 'system' %}{% set system = '<<SYS>>\n' + messages[0]['content']"
                + " + '\n<</SYS>>\n\n' %}{% set loop_messages = messages[1:] %}{% else %}{% set system = '' %}"
                + "{% set loop_messages = messages %}{% endif %}{% for message in loop_messages %}"
                + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + (system if loop.first else '')"
                + " + message['content'] | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                + "{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}");
        BUILTIN.put("mistral", "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                + "{{ message['content'] + eos_token }}{% endif %}{% endfor %}");
        BUILTIN.put("gemma", "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{{ bos_token }}{% for message in messages %}{% if message['role'] == 'assistant' %}"
                + "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
                + "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}");
        BUILTIN.put("phi3", "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content']"
                + " + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}");
    }

    private static final Gson PY_JSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final Jinjava JINJAVA = newEngine();

    private final String name;
    private final String source;
    private final String bos;
    private final String eos;
    private final boolean supportsSystemRole;
    private final boolean requiresTypedContent;

    private ChatTemplate(String name, String source, String bos, String eos) {
        this.name = name;
        this.source = adapt(source);
        this.bos = bos == null ? "" : bos;
        this.eos = eos == null ? "" : eos;
        String userNeedle = "<User Needle>";
        String sysNeedle = "<System Needle>";
        Map<String, Object> strUser = message("user", userNeedle);
        Map<String, Object> typedUser = message("user", List.of(Map.of("type", "text", "text", userNeedle)));
        this.requiresTypedContent = !tryRender(List.of(strUser)).contains(userNeedle)
                && tryRender(List.of(typedUser)).contains(userNeedle);
        Map<String, Object> user = requiresTypedContent ? typedUser : strUser;
        Map<String, Object> sys = message("system", requiresTypedContent
                ? List.of(Map.of("type", "text", "text", sysNeedle)) : sysNeedle);
        this.supportsSystemRole = tryRender(List.of(sys, user)).contains(sysNeedle);
    }

    /**
     * A template from its Jinja source.
     *
     * @param name where it came from, for messages (e.g. "model.gguf: tokenizer.chat_template")
     * @param bos the BOS token's text given to the template ({@code bos_token}; "" if none)
     * @param eos the EOS token's text ({@code eos_token}; "" if none)
     * @throws ChatTemplateException if the source does not parse
     */
    public static ChatTemplate of(String name, String source, String bos, String eos) {
        if (source == null || source.isBlank()) {
            throw new ChatTemplateException(name + ": the chat template is empty");
        }
        ChatTemplate t = new ChatTemplate(name, source, bos, eos);
        t.checkParses();
        return t;
    }

    /**
     * A built-in template by name ({@link #builtinNames()}).
     *
     * @throws ChatTemplateException naming the unknown name and the known ones
     */
    public static ChatTemplate builtin(String builtinName, String bos, String eos) {
        String src = BUILTIN.get(builtinName);
        if (src == null) {
            throw new ChatTemplateException("unknown chat template '" + builtinName + "' (built-in: "
                    + String.join(", ", BUILTIN.keySet()) + ")");
        }
        return new ChatTemplate("built-in template '" + builtinName + "'", src, bos, eos);
    }

    /** The built-in templates' names. */
    public static List<String> builtinNames() {
        return List.copyOf(BUILTIN.keySet());
    }

    /** Where this template came from. */
    public String name() {
        return name;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** The BOS token text given to the template. */
    public String bosToken() {
        return bos;
    }

    /** Whether the template shows a system message as such (else it is merged into the next user message). */
    public boolean supportsSystemRole() {
        return supportsSystemRole;
    }

    /**
     * Renders {@code messages} as the model expects them, polyfilled as described in the class comment.
     *
     * @param addGenerationPrompt whether to open the assistant's turn at the end (true to generate a reply)
     * @throws ChatTemplateException one line: the template raised, or failed to render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> actual = new ArrayList<>();
        String pendingSystem = "";
        for (ChatMessage m : messages) {
            if (!supportsSystemRole) {
                if (m.role().equals("system")) {
                    pendingSystem = pendingSystem.isEmpty() ? m.content() : pendingSystem + "\n" + m.content();
                    continue;
                }
                if (!pendingSystem.isEmpty()) {
                    if (m.role().equals("user")) {
                        actual.add(message("user", pendingSystem + (m.content().isEmpty() ? "" : "\n" + m.content())));
                        pendingSystem = "";
                        continue;
                    }
                    actual.add(message("user", pendingSystem));
                    pendingSystem = "";
                }
            }
            actual.add(message(m.role(), m.content()));
        }
        if (!pendingSystem.isEmpty()) {
            actual.add(message("user", pendingSystem));
        }
        return renderRaw(actual, addGenerationPrompt);
    }

    private Map<String, Object> message(String role, Object content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", requiresTypedContent && content instanceof String
                ? List.of(Map.of("type", "text", "text", content)) : content);
        return m;
    }

    private String tryRender(List<Map<String, Object>> messages) {
        try {
            return renderRaw(messages, false);
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void checkParses() {
        try {
            renderRaw(List.of(message("user", "x")), true);
        } catch (ChatTemplateException e) {
            if (!e.getMessage().contains("raise_exception")) {
                throw e;
            }
        }
    }

    /** Renders the template over exactly these messages (no polyfills). */
    String renderRaw(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bos);
        ctx.put("eos_token", eos);
        RenderResult r;
        try {
            r = JINJAVA.renderForResult(source, ctx);
        } catch (RuntimeException e) {
            throw new ChatTemplateException(name + ": " + oneLine(e.getMessage()));
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(name + ": " + describe(e));
            }
        }
        return r.getOutput();
    }

    private static String describe(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null) {
            if (cause instanceof Raised) {
                return "raise_exception: " + oneLine(cause.getMessage().substring(Raised.MARK.length()));
            }
            cause = cause.getCause();
        }
        String msg = oneLine(e.getMessage());
        int raised = msg.indexOf(Raised.MARK);
        if (raised >= 0) {
            return "raise_exception: " + msg.substring(raised + Raised.MARK.length());
        }
        return (e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "") + msg;
    }

    private static String oneLine(String s) {
        return s == null ? "error" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** What {@code raise_exception} throws: the template refused the conversation. */
    static final class Raised extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final String MARK = "template raised: ";

        Raised(String message) {
            super(MARK + message);
        }
    }

    /** {@code raise_exception(message)} as Hugging Face defines it for chat templates. */
    public static String raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the current UTC time in a C {@code strftime} format (the common fields). */
    public static String strftimeNow(String format) {
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd': b.append(String.format("%02d", now.getDayOfMonth())); break;
                case 'm': b.append(String.format("%02d", now.getMonthValue())); break;
                case 'Y': b.append(now.getYear()); break;
                case 'y': b.append(String.format("%02d", now.getYear() % 100)); break;
                case 'H': b.append(String.format("%02d", now.getHour())); break;
                case 'M': b.append(String.format("%02d", now.getMinute())); break;
                case 'S': b.append(String.format("%02d", now.getSecond())); break;
                case 'B': b.append(now.getMonth().getDisplayName(java.time.format.TextStyle.FULL,
                        java.util.Locale.ENGLISH)); break;
                case 'b': b.append(now.getMonth().getDisplayName(java.time.format.TextStyle.SHORT,
                        java.util.Locale.ENGLISH)); break;
                case 'A': b.append(now.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL,
                        java.util.Locale.ENGLISH)); break;
                case 'a': b.append(now.getDayOfWeek().getDisplayName(java.time.format.TextStyle.SHORT,
                        java.util.Locale.ENGLISH)); break;
                case '%': b.append('%'); break;
                default: b.append('%').append(f);
            }
        }
        return b.toString();
    }

    /** Python's {@code json.dumps} layout (", " and ": " separators; {@code indent} as given), as HF's tojson. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            int indent = indentArg == null ? -1 : Integer.parseInt(String.valueOf(indentArg));
            StringBuilder b = new StringBuilder();
            write(PY_JSON.toJsonTree(plain(var)), indent, 0, b);
            return b.toString();
        }

        private static Object plain(Object v) {
            if (v instanceof Map) {
                Map<String, Object> m = new LinkedHashMap<>();
                ((Map<?, ?>) v).forEach((k, x) -> m.put(String.valueOf(k), plain(x)));
                return m;
            }
            if (v instanceof Iterable) {
                List<Object> l = new ArrayList<>();
                ((Iterable<?>) v).forEach(x -> l.add(plain(x)));
                return l;
            }
            if (v instanceof com.hubspot.jinjava.objects.SafeString) {
                return v.toString();
            }
            return v;
        }

        private static void write(com.google.gson.JsonElement e, int indent, int depth, StringBuilder b) {
            if (e.isJsonObject() && e.getAsJsonObject().size() > 0) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<String, com.google.gson.JsonElement> x : e.getAsJsonObject().entrySet()) {
                    b.append(first ? "" : indent >= 0 ? "," : ", ");
                    newline(indent, depth + 1, b);
                    b.append(PY_JSON.toJson(x.getKey())).append(": ");
                    write(x.getValue(), indent, depth + 1, b);
                    first = false;
                }
                newline(indent, depth, b);
                b.append('}');
            } else if (e.isJsonArray() && e.getAsJsonArray().size() > 0) {
                b.append('[');
                boolean first = true;
                for (com.google.gson.JsonElement x : e.getAsJsonArray()) {
                    b.append(first ? "" : indent >= 0 ? "," : ", ");
                    newline(indent, depth + 1, b);
                    write(x, indent, depth + 1, b);
                    first = false;
                }
                newline(indent, depth, b);
                b.append(']');
            } else {
                b.append(PY_JSON.toJson(e));
            }
        }

        private static void newline(int indent, int depth, StringBuilder b) {
            if (indent >= 0) {
                b.append('\n').append(" ".repeat(indent * depth));
            }
        }
    }

    /** Hugging Face's {@code {% generation %}} block (marks the assistant's tokens for training): renders its body. */
    static final class GenerationTag implements com.hubspot.jinjava.lib.tag.Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(com.hubspot.jinjava.tree.TagNode node, JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder();
            for (com.hubspot.jinjava.tree.Node child : node.getChildren()) {
                b.append(child.render(interpreter).getValue());
            }
            return b.toString();
        }
    }

    /** Jinja2's {@code {% filter name %}...{% endfilter %}}: the body's output through a filter. */
    static final class FilterBlockTag implements com.hubspot.jinjava.lib.tag.Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "filter";
        }

        @Override
        public String getEndTagName() {
            return "endfilter";
        }

        @Override
        public String interpret(com.hubspot.jinjava.tree.TagNode node, JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder();
            for (com.hubspot.jinjava.tree.Node child : node.getChildren()) {
                b.append(child.render(interpreter).getValue());
            }
            String out = b.toString();
            for (String name : node.getHelpers().trim().split("\\s*\\|\\s*")) {
                Filter f = interpreter.getContext().getFilter(name.trim());
                if (f == null) {
                    throw new IllegalArgumentException("unknown filter '" + name.trim() + "' in a filter block");
                }
                out = String.valueOf(f.filter(out, interpreter));
            }
            return out;
        }
    }

    /**
     * Rewrites what Jinja2 accepts and Jinjava's expression parser does not, keeping the meaning: a reversing slice
     * {@code x[::-1]} becomes {@code x|reverse|list}, and the values of {@code namespace(k=v, ...)} are parenthesized
     * (Jinjava binds {@code k=messages|length - 1} as {@code (k=messages|length) - 1}).
     */
    static String adapt(String source) {
        String s = source.replace("[::-1]", "|reverse|list");
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int at = s.indexOf("namespace("); at >= 0; at = s.indexOf("namespace(", from)) {
            int open = at + "namespace(".length();
            int close = matching(s, open - 1);
            if (close < 0) {
                break;
            }
            b.append(s, from, open);
            List<String> args = topLevelSplit(s.substring(open, close));
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                int eq = a.indexOf('=');
                boolean named = eq > 0 && a.substring(0, eq).trim().matches("[A-Za-z_][A-Za-z_0-9]*")
                        && (eq + 1 >= a.length() || a.charAt(eq + 1) != '=');
                b.append(i == 0 ? "" : ",");
                b.append(named ? a.substring(0, eq + 1) + "(" + a.substring(eq + 1) + ")" : a);
            }
            b.append(')');
            from = close + 1;
        }
        b.append(s.substring(from));
        return b.toString();
    }

    /** Index of the bracket closing the one at {@code open}, skipping quoted strings; -1 if none. */
    private static int matching(String s, int open) {
        return scan(s, open + 1, false);
    }

    private static List<String> topLevelSplit(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int comma = scan(s, 0, true); comma >= 0; comma = scan(s, start, true)) {
            out.add(s.substring(start, comma));
            start = comma + 1;
        }
        if (start < s.length() || !out.isEmpty()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /**
     * From {@code from} at bracket depth 0, skipping quoted strings: the index of the first top-level comma (if
     * {@code commas}) or of the bracket that closes the enclosing one; -1 if the text ends first.
     */
    private static int scan(String s, int from, boolean commas) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth < 0) {
                    return i;
                }
            } else if (c == ',' && depth == 0 && commas) {
                return i;
            }
        }
        return -1;
    }

    private static Jinjava newEngine() {
        CompositeELResolver el = new CompositeELResolver();
        el.add(new PythonMethods());
        el.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig cfg = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(el)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true) // {{- x -}} and {#- -#} trim as in Jinja2
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .withMaxOutputSize(64L << 20)
                .withMaxRenderDepth(64)
                .build();
        Jinjava j = new Jinjava(cfg);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", Object.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        // a template comes from a model file: {% include %}, {% import %} and {% from %} read nothing (Jinjava's default
        // would read class-path resources); HF renders templates in a sandbox without a loader either
        j.setResourceLocator((name, charset, interpreter) -> {
            throw new com.hubspot.jinjava.loader.ResourceNotFoundException("templates cannot include or import '"
                    + name + "' (a chat template is one self-contained file)");
        });
        j.getGlobalContext().registerFilter(new ToJson());
        j.getGlobalContext().registerTag(new GenerationTag());
        j.getGlobalContext().registerTag(new FilterBlockTag());
        return j;
    }
}
