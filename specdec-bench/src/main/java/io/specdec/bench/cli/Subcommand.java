package io.specdec.bench.cli;

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

    /** Checks the common options and configures the engine (offline, threads) before any DJL class loads. */
    void configure() {
        common.apply(cl());
    }
}
