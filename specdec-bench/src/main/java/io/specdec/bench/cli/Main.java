package io.specdec.bench.cli;

import io.specdec.engine.SpecdecEngine;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of {@code specdec.jar}: {@code generate}, {@code inspect}. Configures DJL offline (no network, no
 * telemetry) before any DJL class loads, keeps library logging at WARN, and turns failures into one-line errors
 * (stack traces with {@code --verbose}).
 */
public final class Main {
    private Main() {}

    static final String USAGE = String.join("\n",
            "usage: java -jar specdec.jar <command> [options]",
            "",
            "commands:",
            "  generate --model PATH [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]",
            "           [--min-p P] [--repetition-penalty R] [--seed S] [--stop STR] [--no-bos] [--warmup N] [--json]",
            "           [--drafter draft-model --draft-model PATH [--k K | --controller static|heuristic|confidence|goodput]",
            "            [--tree-budget N] [--tree-topk K]]",
            "           stream a completion; --json prints one JSON object with ids, text and stats",
            "  bench --model PATH --drafter draft-model --draft-model PATH --prompts FILE [--max-tokens N]",
            "        [--temperature T] [--controller NAME[,NAME...]|all] [--k K] [--tree-budget N] [--report FILE.md]",
            "           AR vs speculation per prompt, interleaved in one JVM; table + Markdown/JSON report",
            "  bench --suite quick|full [--targets stories260K,twin-25M,twin-150M] [--workloads story,copy]",
            "        [--decodings greedy,T=0.7] [--limit N] [--max-tokens N] [--calibration N] [--out DIR]",
            "           the benchmark suite: every target x drafter x workload x decoding, sized from the measured",
            "           cost curve; writes DIR/<date>-<machine>.md (default docs/benchmarks), .json and PNG charts",
            "  convert inflate --model PATH --shape 25M|150M|DIM,HEADS,KV,HEADDIM,FFN,LAYERS --out FILE.gguf|DIR",
            "           write a function-preserving cost twin (same logits, bigger compute) of a checkpoint",
            "  soak --model PATH [--generations N] [--max-tokens N] [--temperature T]",
            "           run N generations in one process and report resident memory (native memory must stay flat)",
            "  inspect PATH [--all]",
            "           print a checkpoint's format, config, metadata and tensors (GGUF, HF dir, llama2.c .bin)",
            "",
            "common options: --threads N (PyTorch intra-op threads, default 1), --verbose (stack traces)");

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command; returns the exit code (0 ok, 1 error, 2 usage). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(argv).contains("--verbose");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils") == null) {
            // "Failed to detect GPU count" on machines with CUDA libraries but no GPU: noise for a CLI user
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", verbose ? "warn" : "error");
        }
        for (int i = 0; i + 1 < argv.length; i++) {
            if (argv[i].equals("--threads")) {
                System.setProperty("specdec.threads", argv[i + 1]);
            }
        }
        SpecdecEngine.configure();
        if (argv.length == 0 || argv[0].equals("-h") || argv[0].equals("--help") || argv[0].equals("help")) {
            out.println(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        try {
            switch (argv[0]) {
                case "generate":
                    return new GenerateCommand(out, err).run(argv);
                case "inspect":
                    return new InspectCommand(out).run(argv);
                case "bench":
                    return new BenchCommand(out, err).run(argv);
                case "convert":
                    return new ConvertCommand(out, err).run(argv);
                case "soak":
                    return new SoakCommand(out, err).run(argv);
                default:
                    throw new Args.UsageException("unknown command '" + argv[0] + "'");
            }
        } catch (Args.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (RuntimeException | OutOfMemoryError | java.io.IOException e) {
            err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }
}
