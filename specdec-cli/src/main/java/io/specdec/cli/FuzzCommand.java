package io.specdec.cli;

import io.specdec.cli.fuzz.FuzzCase;
import io.specdec.cli.fuzz.Fuzzer;
import io.specdec.cli.suite.BenchPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fuzz}: the mutation fuzzer over the shared checkpoints, each format for {@code --seconds}; prints the
 * outcome counts and the most frequent kinds of clean error, writes every other finding to {@code --out}; exits 1
 * when anything aborted, hung, ran out of memory or threw a raw exception.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mutation-fuzz the file readers: checkpoints (GGUF, llama2.c, HF directory incl. tokenizer.json),"
                + " draft heads, acceptance heads and sample files, each run the way a user runs it.")
final class FuzzCommand extends Subcommand {
    @Option(names = "--format", split = ",", paramLabel = "LIST", description = "gguf, llama2c, hf, heads,"
            + " acceptance-head, sample; default all")
    List<String> formats;
    @Option(names = "--seconds", paramLabel = "S", description = "per format; default 60")
    double seconds = 60;
    @Option(names = "--max-cases", paramLabel = "N", description = "per format; default unlimited")
    long maxCases = Long.MAX_VALUE;
    @Option(names = "--seed", paramLabel = "S", description = "default 1")
    long seed = 1;
    @Option(names = "--timeout-ms", paramLabel = "MS", description = "a case slower than this is a hang; default"
            + " 30000")
    long timeoutMillis = 30_000;
    @Option(names = "--out", paramLabel = "DIR", description = "findings (mutants that aborted, hung, ...); default"
            + " $SPECDEC_CACHE/fuzz")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!(seconds > 0) || maxCases < 1 || timeoutMillis < 100) {
            throw new CommandLine.ParameterException(cl(), "--seconds must be > 0, --max-cases >= 1, --timeout-ms >="
                    + " 100");
        }
        List<FuzzCase.Format> fs = new ArrayList<>();
        List<String> ids = java.util.Arrays.stream(FuzzCase.Format.values()).map(FuzzCase.Format::id).toList();
        for (String f : formats == null ? ids : formats) {
            FuzzCase.Format match = null;
            for (FuzzCase.Format x : FuzzCase.Format.values()) {
                match = x.id().equals(f.toLowerCase(Locale.ROOT)) ? x : match;
            }
            if (match == null) {
                throw new CommandLine.ParameterException(cl(), "--format must be one of " + String.join(", ", ids)
                        + "; found '" + f + "'");
            }
            fs.add(match);
        }
        Path shared = BenchPaths.shared();
        if (!java.nio.file.Files.isDirectory(shared.resolve("models"))) {
            throw new IllegalArgumentException(shared + "/models not found: set SPECDEC_SHARED to the shared folder");
        }
        Fuzzer fuzzer = new Fuzzer(shared, out != null ? out : BenchPaths.cache().resolve("fuzz"), err(),
                timeoutMillis);
        long bad = 0;
        for (FuzzCase.Format f : fs) {
            Fuzzer.Report r = fuzzer.run(f, seed, seconds, maxCases);
            out().println(r);
            for (Map.Entry<String, Long> e : r.errorKinds().entrySet()) {
                out().printf(Locale.ROOT, "  %6d  %s%n", e.getValue(), e.getKey());
            }
            bad += r.bad();
        }
        if (bad > 0) {
            throw new IllegalStateException(bad + " mutants aborted, hung, ran out of memory or threw a raw exception"
                    + " (see the findings above)");
        }
        return 0;
    }
}
