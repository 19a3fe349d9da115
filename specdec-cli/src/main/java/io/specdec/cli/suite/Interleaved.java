package io.specdec.cli.suite;

import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.speculation.SpeculativeDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The measurement protocol of BENCHMARKING.md: for every prompt, the autoregressive baseline and then each
 * speculative configuration, back to back in the same JVM, so every speedup is a ratio of two runs taken moments
 * apart on the same machine state. Warm-up is the caller's job. Not thread-safe.
 */
public final class Interleaved {
    private Interleaved() {}

    /**
     * Decodes every prompt with {@code ar} and then every decoder, in order.
     *
     * @param progress called with the number of prompts done after each prompt
     * @return per configuration label, one run per prompt
     */
    public static Map<String, List<PromptRun>> measure(TextGenerator ar, Map<String, SpeculativeDecoder> decoders,
            List<String> prompts, IntConsumer progress) {
        Map<String, List<PromptRun>> runs = new LinkedHashMap<>();
        decoders.keySet().forEach(c -> runs.put(c, new ArrayList<>()));
        for (int i = 0; i < prompts.size(); i++) {
            String p = prompts.get(i);
            GenerationResult base = ar.generate(p);
            for (Map.Entry<String, SpeculativeDecoder> e : decoders.entrySet()) {
                GenerationResult s = e.getValue().generate(p);
                runs.get(e.getKey()).add(new PromptRun(p, base.stats().totalSeconds(), base.ids().length,
                        s.stats().totalSeconds(), s.ids().length, s.speculation(), Arrays.equals(base.ids(), s.ids())));
            }
            progress.accept(i + 1);
        }
        return runs;
    }
}
