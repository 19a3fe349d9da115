package io.specdec.cli;

import io.specdec.cli.progress.Progress;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code specdec.jar} on picocli: {@code generate}, {@code bench}, {@code convert}, {@code inspect},
 * {@code soak}, each with {@code --help}; {@code --version}. Keeps library logging at WARN (INFO with
 * {@code --verbose}), configures DJL offline before any DJL class loads (in {@link CommonOptions#apply()}), and turns
 * failures into one-line errors on their own line: exit 2 for bad usage, 1 for a failed run (stack traces with
 * {@code --verbose}).
 */
@Command(name = "specdec", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Speculative decoding for Llama-family models on DJL / PyTorch: the same text as the model"
                + " alone, faster.",
        subcommands = {GenerateCommand.class, BenchCommand.class, ConvertCommand.class, InspectCommand.class,
            SoakCommand.class, FuzzCommand.class, SampleCommand.class, TrainDraftCommand.class, TrainJudgeCommand.class,
            ExportTextCommand.class, TrainTokenizerCommand.class, TrainLmCommand.class, TrainHeadsCommand.class,
            TrainAcceptanceHeadCommand.class, TokenizeCommand.class, ChatCommand.class,
            MakeChatDataCommand.class, ServeCommand.class})
public final class Main implements Runnable {
    java.io.InputStream in = System.in;
    PrintStream out;
    PrintStream err;
    private CommandLine.Model.CommandSpec root;

    @CommandLine.Spec
    void spec(CommandLine.Model.CommandSpec s) {
        this.root = s;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(root.commandLine(), "a command is needed (generate, bench,"
                + " sample, train-draft, convert, inspect, soak)");
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command; returns the exit code (0 ok, 1 error, 2 usage). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        return run(argv, System.in, out, err);
    }

    /** As {@link #run(String[], PrintStream, PrintStream)} reading standard input from {@code in}. */
    public static int run(String[] argv, java.io.InputStream in, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(argv).contains("--verbose");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils") == null) {
            // "Failed to detect GPU count" on machines with CUDA libraries but no GPU: noise for a CLI user
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", verbose ? "warn" : "error");
        }
        Main main = new Main();
        main.in = in;
        main.out = out;
        main.err = err;
        System.setProperty("specdec.cli.drafters", String.join(", ", io.specdec.speculation.Drafters.names()));
        System.setProperty("specdec.cli.controllers", String.join(", ",
                io.specdec.speculation.Controllers.names()));
        System.setProperty("specdec.cli.heads", String.join(", ",
                io.specdec.drafters.heads.HeadArchitectures.all().stream()
                        .map(io.specdec.drafters.heads.HeadArchitecture::id).toList()));
        CommandLine cl = new CommandLine(main);
        TrainHeadsCommand.registerFamilies(cl);
        DrafterCli.register(cl.getSubcommands().get("generate").getCommandSpec(),
                ((GenerateCommand) cl.getSubcommands().get("generate").getCommand()).drafting);
        DrafterCli.register(cl.getSubcommands().get("serve").getCommandSpec(),
                ((ServeCommand) cl.getSubcommands().get("serve").getCommand()).drafting);
        DrafterCli.register(cl.getSubcommands().get("chat").getCommandSpec(),
                ((ChatCommand) cl.getSubcommands().get("chat").getCommand()).drafting);
        DrafterCli.register(cl.getSubcommands().get("bench").getCommandSpec(),
                ((BenchCommand) cl.getSubcommands().get("bench").getCommand()).drafting);
        DrafterCli.register(cl.getSubcommands().get("train-acceptance-head").getCommandSpec(),
                ((TrainAcceptanceHeadCommand) cl.getSubcommands().get("train-acceptance-head").getCommand()).drafting);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((e, args) -> {
            Progress.endLine(err);
            err.println("error: " + e.getMessage());
            CommandLine c = e.getCommandLine();
            err.println("(see: java -jar specdec.jar " + (c.getParent() == null ? "" : c.getCommandName() + " ")
                    + "--help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            Progress.endLine(err);
            if (e instanceof CommandLine.ParameterException pe) {
                throw pe;
            }
            if (e instanceof io.specdec.speculation.OptionException) {
                // a drafter's or controller's option out of range: a usage error like picocli's own
                return cl.getParameterExceptionHandler().handleParseException(
                        new CommandLine.ParameterException(c, e.getMessage(), e), new String[0]);
            }
            err.println("error: " + describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        });
        if (argv.length == 0) {
            cl.usage(err);
            return 2;
        }
        return cl.execute(argv);
    }

    /** One line for an exception a command ended with: file-system errors name the file and what is wrong. */
    static String describe(Throwable e) {
        Throwable x = e instanceof java.io.UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
        if (x instanceof java.nio.file.NoSuchFileException f) {
            return f.getFile() + ": no such file or directory";
        }
        if (x instanceof java.nio.file.AccessDeniedException f) {
            return f.getFile() + ": permission denied";
        }
        if (x instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            String why = f.getReason() == null ? "cannot be used" : f.getReason().toLowerCase(java.util.Locale.ROOT);
            return f.getFile() + ": " + why + (why.contains("directory") ? " (expected a file)" : "");
        }
        if (x instanceof java.nio.charset.CharacterCodingException) {
            return "a text input is not valid UTF-8 (" + x.getClass().getSimpleName() + ")";
        }
        String m = x.getMessage() == null ? x.toString() : x.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** {@code --version}: this build's version and the engine it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"specdec " + (v == null ? "0.1.0-SNAPSHOT" : v),
                "DJL 0.36.0, PyTorch 2.7.1 (natives from Maven Central; offline)",
                "Java " + System.getProperty("java.version")};
        }
    }
}
