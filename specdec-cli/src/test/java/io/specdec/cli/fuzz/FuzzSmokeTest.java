package io.specdec.cli.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of the mutation fuzzer per format (a few hundred mutants in worker JVMs, seconds): no mutant may abort
 * the JVM, hang, run out of memory or throw a raw exception. The long runs are {@code specdec fuzz --seconds N}.
 */
class FuzzSmokeTest {
    @TempDir
    Path out;

    @Test
    void mutantsOfEveryFormatEndInSuccessOrAOneLineError() throws Exception {
        SharedAssets.require("models/stories260K.gguf");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Fuzzer f = new Fuzzer(SharedAssets.root(), out, new PrintStream(log, true, StandardCharsets.UTF_8), 30_000);
        for (FuzzCase.Format format : FuzzCase.Format.values()) {
            // the project's own formats run a whole speculative generation per mutant: fewer of them here
            int cases = format == FuzzCase.Format.HEADS || format == FuzzCase.Format.ACCEPTANCE_HEAD ? 30 : 150;
            Fuzzer.Report r = f.run(format, 20261203, 60, cases);
            System.out.println("[fuzz] " + r);
            assertEquals(cases, r.cases(), r.toString());
            assertEquals(0, r.bad(), r + " " + r.findings());
            assertTrue(r.counts().get(FuzzCase.Outcome.CLEAN_ERROR) > 0, "mutants are rejected: " + r);
        }
    }

    @Test
    void aMutantIsReproducibleFromItsSeedAndIndex(@TempDir Path a, @TempDir Path b) throws Exception {
        SharedAssets.require("models/stories260K.gguf"); // the fuzzer's seeds are the shared checkpoints
        Path root = SharedAssets.root();
        byte[] x = java.nio.file.Files.readAllBytes(FuzzCase.write(FuzzCase.Format.GGUF, 5, 17, root, a));
        byte[] y = java.nio.file.Files.readAllBytes(FuzzCase.write(FuzzCase.Format.GGUF, 5, 17, root, b));
        assertTrue(java.util.Arrays.equals(x, y));
    }
}
