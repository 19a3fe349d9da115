package io.specdec.cli.progress;

import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr (me.tongfei progressbar): on a terminal one line rewritten in place with {@code \r}, elsewhere
 * (logs, pipes) one frame per line at most every 30 s (long runs show they are alive) and the final frame; always
 * ended with a newline — on success in {@link #close()}, on failure by
 * {@link #endLine} before the error is printed, so an error never lands on a progress line. One bar at a time per
 * process.
 */
public final class Progress implements AutoCloseable {
    private static volatile Progress active;
    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile("layer (\\d+)/(\\d+)");

    private final ProgressBar bar;
    private final PrintStream err;
    private final boolean interactive;
    private volatile String lastFrame = "";
    private volatile long lastLogged = System.nanoTime();
    /** Seconds between frames written to a log (not a terminal). */
    private static final long LOG_EVERY_NANOS = 30_000_000_000L;
    private boolean closed;

    private Progress(PrintStream err, String task, long max, String unit) {
        this.err = err;
        // frames rewritten in place only on a terminal; a log file gets the final frame alone
        this.interactive = err == System.err && System.console() != null;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).setMaxRenderedLength(100)
                .setConsumer(new DelegatingProgressBarConsumer(line -> {
                    lastFrame = line;
                    if (interactive) {
                        err.print("\r" + line);
                        err.flush();
                    } else if (System.nanoTime() - lastLogged > LOG_EVERY_NANOS) {
                        lastLogged = System.nanoTime();
                        err.println(line.strip());
                    }
                }, 100));
        if (unit != null) {
            b.setUnit(" " + unit, 1).showSpeed();
        }
        this.bar = b.build();
    }

    /** Starts a bar of {@code max} steps ({@code unit} names them for the speed column, or null). */
    public static Progress start(PrintStream err, String task, long max, String unit) {
        endLine(err);
        Progress p = new Progress(err, task, max, unit);
        active = p;
        return p;
    }

    /** Sets the number of steps done. */
    public void stepTo(long n) {
        bar.stepTo(n);
    }

    /** One more step done. */
    public void step() {
        bar.step();
    }

    /** Changes the total. */
    public void maxHint(long max) {
        bar.maxHint(max);
    }

    /** Text after the bar. */
    public void message(String m) {
        bar.setExtraMessage(m == null || m.isEmpty() ? "" : " " + m);
    }

    /** Draws the final state and ends the line. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            bar.close();
            if (!interactive) {
                err.print(lastFrame);
            }
            err.println();
            if (active == this) {
                active = null;
            }
        }
    }

    /** Ends the active bar's line (before an error message). */
    public static void endLine(PrintStream err) {
        Progress p = active;
        if (p != null) {
            p.close();
        }
    }

    /** Loads a checkpoint with a bar over its layers, then one "loaded ..." line. */
    public static LoadedModel load(Path path, PrintStream err) {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        if (!java.nio.file.Files.exists(path)) {
            throw new IllegalArgumentException(path + ": no such file or directory");
        }
        if (!java.nio.file.Files.isRegularFile(path) && !java.nio.file.Files.isDirectory(path)) {
            throw new IllegalArgumentException(path + ": not a regular file (a checkpoint is a GGUF or llama2.c file"
                    + " or a Hugging Face directory)");
        }
        long t0 = System.nanoTime();
        LoadedModel lm;
        try (Progress p = start(err, "loading " + name, 1, null)) {
            lm = ModelLoader.load(path, s -> {
                // the loaders report "layer i/n" per decoder layer, and other facts as text
                java.util.regex.Matcher m = LAYER.matcher(s);
                if (m.find()) {
                    p.maxHint(Long.parseLong(m.group(2)));
                    p.stepTo(Long.parseLong(m.group(1)));
                } else {
                    p.message(s);
                }
            });
            p.stepTo(lm.config().layers());
            p.maxHint(lm.config().layers());
        }
        err.printf("loaded %s (%s, %,d parameters) in %.2f s%n", name, lm.format(), lm.config().parameterCount(),
                (System.nanoTime() - t0) / 1e9);
        return lm;
    }
}
