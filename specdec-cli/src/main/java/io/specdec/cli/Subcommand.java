package io.specdec.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** What every subcommand shares: the root command's streams, its own picocli spec and the common options. */
abstract class Subcommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    Main main;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin
    CommonOptions common;

    /** Standard output of this run. */
    PrintStream out() {
        return main.out;
    }

    /** Standard error of this run (progress, stats, errors). */
    PrintStream err() {
        return main.err;
    }

    /** This command's parser (for usage errors). */
    CommandLine cl() {
        return spec.commandLine();
    }

    /** The lines of a UTF-8 text file; one-line errors naming the file when it is missing, a folder or not text. */
    static java.util.List<String> textLines(java.nio.file.Path file) throws java.io.IOException {
        if (java.nio.file.Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + ": is a directory (expected a text file)");
        }
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        try {
            return java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
    }

    /** Checks the common options and configures the engine (offline, threads) before any DJL class loads. */
    void configure() {
        common.apply(cl());
    }
}
