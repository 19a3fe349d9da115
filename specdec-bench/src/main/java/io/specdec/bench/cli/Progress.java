package io.specdec.bench.cli;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import java.io.PrintStream;
import java.nio.file.Path;

/** Loading feedback on stderr: one line rewritten in place ("loading stories260K.gguf: layer 3/5"). */
final class Progress {
    private Progress() {}

    static LoadedModel load(Path path, PrintStream err) {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        long t0 = System.nanoTime();
        LoadedModel lm = ModelLoader.load(path, s -> {
            err.print("\rloading " + name + ": " + s + "          ");
            err.flush();
        });
        err.printf("\rloaded %s (%s, %,d parameters) in %.2f s          %n", name, lm.format(),
                lm.config().parameterCount(), (System.nanoTime() - t0) / 1e9);
        return lm;
    }
}
