package io.specdec.cli.fuzz;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A seeded mutation fuzzer over the checkpoint formats: mutants are run in a worker JVM ({@link FuzzWorker}) so that
 * a JVM abort (a native panic) or a hang is observed and classified instead of ending the run; the worker is then
 * restarted. Every mutant that did not end in success or a clean one-line error is written to the output folder
 * with what happened, so it can be replayed ({@code FuzzCase.write} with the same seed and index). Not thread-safe.
 */
public final class Fuzzer {
    /** The counts of one run. */
    public record Report(FuzzCase.Format format, long cases, double seconds, Map<FuzzCase.Outcome, Long> counts,
            Map<String, Long> errorKinds, List<String> findings) {
        /** Cases that aborted, hung, ran out of memory or threw a raw exception. */
        public long bad() {
            return counts.get(FuzzCase.Outcome.ABORT) + counts.get(FuzzCase.Outcome.HANG)
                    + counts.get(FuzzCase.Outcome.OOM) + counts.get(FuzzCase.Outcome.STACK_TRACE);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
                    "%s: %,d mutants in %.0f s (%.1f/s):", format, cases, seconds, cases / Math.max(1e-9, seconds)));
            counts.forEach((k, v) -> sb.append(' ').append(k.name().toLowerCase(java.util.Locale.ROOT)).append(' ')
                    .append(v));
            return sb.toString();
        }
    }

    private final Path shared;
    private final Path out;
    private final PrintStream log;
    private final long timeoutMillis;

    /**
     * @param shared the shared folder with the original checkpoints
     * @param out where findings are written (null: nowhere)
     * @param log progress and findings, one line each
     * @param timeoutMillis a case without a result after this long is a hang
     */
    public Fuzzer(Path shared, Path out, PrintStream log, long timeoutMillis) {
        this.shared = shared;
        this.out = out;
        this.log = log;
        this.timeoutMillis = timeoutMillis;
    }

    private final class Worker implements AutoCloseable {
        final Process process;
        final Writer stdin;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Path work;

        Worker(FuzzCase.Format format, long seed) throws IOException {
            work = Files.createTempDirectory("specdec-fuzz");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx768m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                    "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"),
                    FuzzWorker.class.getName(), format.name(), Long.toString(seed), shared.toString(), work.toString());
            pb.environment().put("DJL_OFFLINE", "true");
            pb.environment().put("OPT_OUT_TRACKING", "true");
            pb.redirectError(work.resolve("stderr.txt").toFile());
            process = pb.start();
            stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                lines.add("EOF");
            }, "fuzz-worker-reader");
            t.setDaemon(true);
            t.start();
        }

        /** The next protocol line, or null on timeout. */
        String next(long millis) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (true) {
                String l = lines.poll(Math.max(1, (end - System.nanoTime()) / 1_000_000L), TimeUnit.MILLISECONDS);
                if (l == null || l.equals("EOF") || l.equals("READY") || l.startsWith("RESULT\t")) {
                    return l;
                }
            }
        }

        String stderrTail() {
            try {
                List<String> all = Files.readAllLines(work.resolve("stderr.txt"), StandardCharsets.UTF_8);
                return String.join(" | ", all.subList(Math.max(0, all.size() - 3), all.size()));
            } catch (IOException | RuntimeException e) {
                return "";
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // temporary files
            }
        }
    }

    /** Fuzzes {@code format} for {@code seconds} or {@code maxCases} mutants, whichever comes first. */
    public Report run(FuzzCase.Format format, long seed, double seconds, long maxCases)
            throws IOException, InterruptedException {
        Map<FuzzCase.Outcome, Long> counts = new EnumMap<>(FuzzCase.Outcome.class);
        for (FuzzCase.Outcome o : FuzzCase.Outcome.values()) {
            counts.put(o, 0L);
        }
        Map<String, Long> kinds = new LinkedHashMap<>();
        List<String> findings = new ArrayList<>();
        long t0 = System.nanoTime();
        long index = 0;
        Worker w = start(format, seed);
        try {
            while (index < maxCases && (System.nanoTime() - t0) / 1e9 < seconds) {
                if (w == null) {
                    w = start(format, seed);
                }
                w.stdin.write(index + "\n");
                w.stdin.flush();
                String line = w.next(timeoutMillis);
                FuzzCase.Outcome o;
                String msg;
                if (line == null) {
                    o = FuzzCase.Outcome.HANG;
                    msg = "no result after " + timeoutMillis + " ms";
                } else if (line.equals("EOF")) {
                    w.process.waitFor(10, TimeUnit.SECONDS);
                    o = FuzzCase.Outcome.ABORT;
                    msg = "worker died, exit " + (w.process.isAlive() ? "?" : w.process.exitValue()) + ": "
                            + w.stderrTail();
                } else {
                    String[] f = line.split("\t", 4);
                    o = FuzzCase.Outcome.valueOf(f[2]);
                    msg = f.length > 3 ? f[3] : "";
                }
                counts.merge(o, 1L, Long::sum);
                if (o == FuzzCase.Outcome.CLEAN_ERROR) {
                    kinds.merge(kind(msg), 1L, Long::sum);
                } else if (o != FuzzCase.Outcome.SUCCESS) {
                    String finding = format + " #" + index + " " + o + ": " + msg;
                    findings.add(finding);
                    log.println("finding: " + finding);
                    save(format, seed, index, finding);
                }
                if (o == FuzzCase.Outcome.HANG || o == FuzzCase.Outcome.ABORT) {
                    w.close();
                    w = null;
                }
                index++;
            }
        } finally {
            if (w != null) {
                w.close();
            }
        }
        return new Report(format, index, (System.nanoTime() - t0) / 1e9, counts, top(kinds, 12), findings);
    }

    private Worker start(FuzzCase.Format format, long seed) throws IOException, InterruptedException {
        Worker w = new Worker(format, seed);
        String ready = w.next(Math.max(timeoutMillis, 60_000));
        if (!"READY".equals(ready)) {
            String tail = w.stderrTail();
            w.close();
            throw new IOException("the fuzz worker did not start: " + tail);
        }
        return w;
    }

    private void save(FuzzCase.Format format, long seed, long index, String finding) throws IOException {
        if (out == null) {
            return;
        }
        Path dir = out.resolve(format.name().toLowerCase(java.util.Locale.ROOT) + "-" + seed + "-" + index);
        FuzzCase.write(format, seed, index, shared, dir);
        Files.writeString(dir.resolve("FINDING.txt"), finding + "\n", StandardCharsets.UTF_8);
    }

    /** An error message with paths, numbers and quoted values removed: what kind of check fired. */
    static String kind(String msg) {
        String m = msg.replaceAll("/[^ :,]*", "").replaceAll("'[^']*'", "'…'").replaceAll("-?\\d[\\d.eE+-]*", "N");
        return m.length() > 90 ? m.substring(0, 90) + "…" : m;
    }

    private static Map<String, Long> top(Map<String, Long> kinds, int n) {
        Map<String, Long> out = new LinkedHashMap<>();
        kinds.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
