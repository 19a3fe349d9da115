package io.specdec.cli.fuzz;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The worker JVM of {@link Fuzzer}: reads case indices from stdin, one per line, builds and runs each mutant and
 * prints {@code RESULT <index> <OUTCOME> <message>}. Arguments: format, seed, shared folder, work folder.
 */
public final class FuzzWorker {
    private FuzzWorker() {}

    public static void main(String[] args) throws Exception {
        FuzzCase.Format format = FuzzCase.Format.valueOf(args[0]);
        long seed = Long.parseLong(args[1]);
        Path shared = Path.of(args[2]);
        Path work = Path.of(args[3]);
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err); // library output never mixes with results
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("READY");
        for (String line; (line = in.readLine()) != null; ) {
            long index = Long.parseLong(line.trim());
            FuzzCase.Result r;
            try {
                r = FuzzCase.run(format, FuzzCase.write(format, seed, index, shared, work), shared);
            } catch (java.io.IOException e) {
                r = new FuzzCase.Result(FuzzCase.Outcome.STACK_TRACE, "writing the mutant: " + e);
            }
            out.println("RESULT\t" + index + "\t" + r.outcome() + "\t" + r.message().replace('\t', ' ')
                    .replace('\n', ' '));
        }
    }
}
