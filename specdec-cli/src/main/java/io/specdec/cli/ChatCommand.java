package io.specdec.cli;

import io.specdec.chat.ChatMessage;
import io.specdec.chat.ChatTemplate;
import io.specdec.chat.Conversation;
import io.specdec.cli.progress.Progress;
import io.specdec.cli.suite.BenchPaths;
import io.specdec.demo.DemoModels;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.io.LoadedModel;
import io.specdec.model.CausalLM;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.CandidateLengthController;
import io.specdec.speculation.DrafterSetup;
import io.specdec.verify.Speculation;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code chat}: an interactive conversation with the model's own chat template, streamed, speculative with any
 * drafter. The history's KV cache is kept between turns (only the new message is prefilled). Lines starting with
 * {@code /} are commands: {@code /reset} forgets the history, {@code /stats} turns per-reply statistics on or off,
 * {@code /exit} ends. Ctrl-C stops the reply being written (its text so far stays in the history); at the prompt it
 * ends the program, as does end of input.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Talk with a model through its chat template, speculatively; /reset, /stats, /exit; Ctrl-C stops"
                + " a reply.")
final class ChatCommand extends Subcommand {
    @Mixin
    SamplingOptions samplingOptions;
    @Mixin
    DrafterCli drafting = new DrafterCli();

    @Option(names = "--model", paramLabel = "PATH", description = "GGUF file, Hugging Face directory or llama2.c"
            + " .bin; default: the embedded chat demo with its draft (docs/DEMO.md)")
    Path model;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "a built-in (chatml, llama3, llama2,"
            + " mistral, gemma, phi3) or a .jinja file; default the model's own")
    String chatTemplate;

    @Option(names = "--system", paramLabel = "TEXT", description = "a system message to start with")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", description = "new tokens per reply at most; default 256")
    int maxTokens = 256;

    @Option(names = {"--ctx-size", "-c"}, paramLabel = "N", description = "context positions; default the model's")
    Integer ctxSize;

    @Option(names = "--stats", description = "after each reply, print its speed, speculation and cache reuse")
    boolean stats;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = cl();
        configure();
        if (maxTokens < 1) {
            throw new CommandLine.ParameterException(cl, "--max-tokens must be >= 1, found " + maxTokens);
        }
        if (ctxSize != null && ctxSize < 1) {
            throw new CommandLine.ParameterException(cl, "--ctx-size must be >= 1, found " + ctxSize);
        }
        PrintStream out = main.out;
        PrintStream err = main.err;
        if (model == null) {
            model = DemoModels.chatTarget();
            if (drafting.drafters == null && drafting.values.isEmpty()) {
                drafting.values.put("draft-model", DemoModels.chatDraft().toString());
            }
            err.println("[no --model: the embedded chat demo, a story model taught to greet, tell stories and answer"
                    + " questions about them, with its draft (docs/DEMO.md)]");
        }
        List<String> drafters = drafting.chosen(cl);
        if (drafters.size() > 1) {
            throw new CommandLine.ParameterException(cl, "chat runs one drafter");
        }
        String ctrl = drafters.isEmpty() ? null : drafting.controllers(cl, false).get(0);
        GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(maxTokens)
                .optSampling(samplingOptions.build(cl)).build();
        LoadedModel lm = Progress.load(model, err);
        if (lm.tokenizer() == null) {
            throw new IllegalArgumentException(model + ": the checkpoint has no tokenizer");
        }
        ChatTemplate template = GenerateCommand.chatTemplate(lm, chatTemplate);
        try (LlamaModel m = ctxSize == null ? lm.newModel()
                : lm.newModel(io.specdec.model.Kernels.requested(), ctxSize)) {
            List<DrafterSetup> setups = drafting.setups(cl, drafters, m, lm.tokenizer(),
                    List.of("Once upon a time"), BenchPaths.cache(), err);
            try {
                DrafterSetup setup = setups.isEmpty() ? null : setups.get(0);
                Function<CausalLM, TextGenerator> generatorOn;
                if (setup == null) {
                    generatorOn = t -> AutoregressiveGenerator.builder().setModel(t).setTokenizer(lm.tokenizer())
                            .optConfig(cfg).build();
                } else {
                    Supplier<CandidateLengthController> controllers = drafting.controller(ctrl, setup, m,
                            BenchPaths.cache());
                    int maxDraft = Math.max(16, setup.budget());
                    generatorOn = t -> Speculation.decoder(t, lm.tokenizer(), setup.factory(), cfg)
                            .optControllerFactory(controllers).optMaxDraft(maxDraft).build();
                }
                try (Conversation conv = new Conversation(template, m, generatorOn, cfg.addBos(),
                        m.config().contextLength())) {
                    talk(conv, setup, out, err);
                }
            } finally {
                setups.forEach(DrafterSetup::close);
            }
        }
        return 0;
    }

    private void talk(Conversation conv, DrafterSetup setup, PrintStream out, PrintStream err) throws Exception {
        if (system != null) {
            conv.add(ChatMessage.system(system));
        }
        AtomicReference<Conversation.Reply> current = new AtomicReference<>();
        Interrupts interrupts = Interrupts.install(() -> {
            Conversation.Reply r = current.get();
            if (r != null) {
                r.cancel();
                return true;
            }
            return false;
        });
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8));
            int turn = 0;
            while (true) {
                err.print("> ");
                err.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
                    err.println();
                    return;
                }
                String cmd = line.strip();
                if (cmd.equals("/reset")) {
                    conv.reset();
                    if (system != null) {
                        conv.add(ChatMessage.system(system));
                    }
                    err.println("[history cleared]");
                    continue;
                }
                if (cmd.equals("/stats")) {
                    stats = !stats;
                    err.println("[stats " + (stats ? "on" : "off") + "]");
                    continue;
                }
                if (cmd.startsWith("/")) {
                    err.println("[unknown command " + cmd + "; /reset, /stats, /exit]");
                    continue;
                }
                if (cmd.isEmpty()) {
                    continue;
                }
                turn++;
                Conversation.Reply reply;
                try {
                    reply = conv.send(line);
                } catch (IllegalArgumentException e) {
                    err.println("error: " + Main.describe(e));
                    continue;
                }
                current.set(reply);
                GenerationResult r;
                try {
                    while (reply.hasNext()) {
                        GeneratedToken t = reply.next();
                        out.print(t.text());
                        out.flush();
                    }
                } finally {
                    current.set(null);
                    r = reply.result();
                }
                out.println();
                if (r.finishReason() == io.specdec.generate.FinishReason.CANCELLED) {
                    err.println("[reply stopped; it stays in the history]");
                }
                if (stats) {
                    err.printf(Locale.ROOT, "[turn %d: prompt %d tokens (%d from the cache, %d prefilled in %.3f s),"
                            + " %d generated in %.3f s: %.1f tokens/s, finish: %s]%n", turn,
                            r.stats().promptTokens(), conv.lastReusedTokens(),
                            r.stats().promptTokens() - conv.lastReusedTokens(), r.stats().prefillSeconds(),
                            r.stats().generatedTokens(), r.stats().totalSeconds(), r.stats().tokensPerSecond(),
                            r.finishReason());
                    if (setup != null && r.speculation() != null) {
                        err.printf(Locale.ROOT, "[speculation with %s: τ = %.2f, acceptance %.2f, %d rounds]%n",
                                setup.name(), r.speculation().tau(), r.speculation().acceptanceRate(),
                                r.speculation().rounds());
                    }
                }
            }
        } finally {
            interrupts.close();
        }
    }

    /**
     * Ctrl-C (SIGINT) while a reply is written stops that reply; otherwise the previous handler runs (the JVM ends).
     * Uses {@code sun.misc.Signal} (module jdk.unsupported) where present; without it Ctrl-C ends the program.
     */
    static final class Interrupts implements AutoCloseable {
        private final Object previous;

        private Interrupts(Object previous) {
            this.previous = previous;
        }

        static Interrupts install(java.util.function.BooleanSupplier onInterrupt) {
            try {
                sun.misc.Signal sig = new sun.misc.Signal("INT");
                sun.misc.SignalHandler[] prev = new sun.misc.SignalHandler[1];
                prev[0] = sun.misc.Signal.handle(sig, s -> {
                    if (onInterrupt.getAsBoolean()) {
                        return;
                    }
                    try {
                        prev[0].handle(s);
                    } catch (RuntimeException e) {
                        System.exit(130); // the default action had no Java handler to call: end as a shell would
                    }
                });
                return new Interrupts(prev[0]);
            } catch (IllegalArgumentException | LinkageError e) {
                return new Interrupts(null);
            }
        }

        @Override
        public void close() {
            if (previous != null) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal("INT"), (sun.misc.SignalHandler) previous);
                } catch (IllegalArgumentException | LinkageError e) {
                    // nothing to restore
                }
            }
        }
    }
}
