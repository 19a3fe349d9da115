package io.specdec.cli;

import io.specdec.sampling.SamplingConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Sampling options shared by {@code generate} and {@code bench}; checked by {@link SamplingConfig}'s builder. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default)")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "0 = off (default)")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", description = "1 = off (default)")
    float topP = 1f;

    @Option(names = "--min-p", paramLabel = "P", description = "0 = off (default)")
    float minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "1 = off (default)")
    float repetitionPenalty = 1f;

    @Option(names = "--seed", paramLabel = "S", description = "sampling seed; default 42")
    long seed = 42;

    /** The config; invalid values are usage errors naming the option. */
    SamplingConfig build(CommandLine cl) {
        try {
            return SamplingConfig.builder().optTemperature(temperature).optTopK(topK).optTopP(topP).optMinP(minP)
                    .optRepetitionPenalty(repetitionPenalty).optSeed(seed).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }
}
