package io.specdec.bench.batch;

import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.speculation.CostCurve;
import java.nio.file.Path;

/**
 * The measured cost curve c(T) of a model ({@link CostCurve#measure}, not cached), as a Markdown table:
 * {@code java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar
 * io.specdec.bench.batch.CostCurves model.gguf [repeats]}.
 */
public final class CostCurves {
    private CostCurves() {}

    public static void main(String[] args) throws Exception {
        try (LlamaModel m = ModelLoader.load(Path.of(args[0])).newModel()) {
            System.out.println("c(T) of " + Path.of(args[0]).getFileName() + ", kernel " + m.kernel() + ", "
                    + m.threads() + " threads\n");
            System.out.print(CostCurve.measure(m, args.length > 1 ? Integer.parseInt(args[1]) : 3).table());
        }
        System.exit(0);
    }
}
