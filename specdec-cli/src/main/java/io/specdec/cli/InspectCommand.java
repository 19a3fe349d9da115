package io.specdec.cli;

import io.specdec.io.GgufFile;
import io.specdec.io.HfLoader;
import io.specdec.io.Llama2cLoader;
import io.specdec.io.TensorInfo;
import io.specdec.io.TensorStore;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** {@code inspect PATH}: format, config, metadata and tensor table of a checkpoint, without loading weights. */
@picocli.CommandLine.Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print a checkpoint's format, config, metadata and tensors (GGUF, HF directory, llama2.c .bin).")
final class InspectCommand extends Subcommand {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "PATH", description = "the checkpoint")
    Path p;
    @picocli.CommandLine.Option(names = "--all", description = "print long metadata arrays whole")
    boolean all;
    private PrintStream out;

    @Override
    public Integer call() {
        configure();
        out = main.out;
        if (Files.isDirectory(p)) {
            out.println("format: Hugging Face directory");
            out.println("config: " + HfLoader.config(p.resolve("config.json")));
            try (TensorStore s = HfLoader.openWeights(p)) {
                printTensors(s);
            }
        } else if (isGguf(p)) {
            try (GgufFile g = GgufFile.open(p)) {
                out.println("format: GGUF v" + g.version() + " (alignment " + g.alignment() + ", data at byte "
                        + g.dataOffset() + ")");
                out.println("metadata (" + g.metadata().size() + " keys):");
                for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
                    out.println("  " + e.getKey() + " = " + show(e.getValue(), all));
                }
                printTensors(g);
            }
        } else {
            out.println("format: llama2.c checkpoint (legacy v0)");
            out.println("config: " + Llama2cLoader.config(p));
            try (TensorStore s = Llama2cLoader.open(p)) {
                printTensors(s);
            }
        }
        return 0;
    }

    private static boolean isGguf(Path p) {
        try (var in = Files.newInputStream(p)) {
            return Arrays.equals(in.readNBytes(4), new byte[] {'G', 'G', 'U', 'F'});
        } catch (java.io.IOException e) {
            throw new io.specdec.format.CheckpointException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    private void printTensors(TensorStore s) {
        long total = 0;
        long bytes = 0;
        out.println("tensors (" + s.tensors().size() + "):");
        for (TensorInfo t : s.tensors()) {
            out.printf("  %-48s %-5s %-20s %,d bytes%n", t.name(), t.dtype(), Arrays.toString(t.shape()),
                    t.byteSize());
            total += t.elements();
            bytes += t.byteSize();
        }
        out.printf("total: %,d elements, %,d bytes%n", total, bytes);
    }

    private static String show(Object v, boolean all) {
        if (v != null && v.getClass().isArray()) {
            int n = Array.getLength(v);
            StringBuilder sb = new StringBuilder("[");
            int shown = all ? n : Math.min(n, 8);
            for (int i = 0; i < shown; i++) {
                sb.append(i > 0 ? ", " : "").append(Array.get(v, i) instanceof String s ? '"' + s + '"'
                        : String.valueOf(Array.get(v, i)));
            }
            if (shown < n) {
                sb.append(", ... (").append(n).append(" items)");
            }
            return sb.append(']').toString();
        }
        return v instanceof String s ? '"' + s + '"' : String.valueOf(v);
    }
}
