package io.specdec.bench.server;

import io.specdec.Specdec;
import io.specdec.chat.ChatMessage;
import io.specdec.demo.DemoModels;
import io.specdec.server.SpecdecServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load, disconnects and shutdown against {@link SpecdecServer} on the loopback, with the chat demo and its draft:
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar io.specdec.bench.server.ServerLoad \
 *     load [clients=32] [requests=20] [disconnects=1000]
 * java ... io.specdec.bench.server.ServerLoad shutdown [runs=100] [kernel=torch|auto] [client=raw|jdk]
 * }</pre>
 *
 * {@code load}: {@code clients} threads send {@code requests} chat completions each (alternately streamed and not,
 * greedy, eight prompts), every output compared with the in-process {@code Specdec.chat} text; client-side
 * time-to-first-token and inter-token gaps; {@code /metrics} scraped halfway and at the end; the process's RSS
 * before and after; then {@code disconnects} streaming requests that hang up after their first event, RSS and the
 * in-flight gauge after. {@code shutdown}: {@code runs} times, a server with four streams in flight is closed; every
 * client must end with a complete stream or an error, none may hang, and the JVM must survive. Prints Markdown.
 */
public final class ServerLoad {
    private static final String[] PROMPTS = {"Hello", "Tell me a story.", "Tell me a story about a cat.",
        "Tell me a story about a dog.", "Tell me a story about Tom.", "Can you tell me a story?", "Hi there",
        "I want to hear a story."};
    private static final int MAX_TOKENS = 48;

    private ServerLoad() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "load" : args[0];
        if (mode.equals("shutdown")) {
            shutdown(arg(args, "runs", 100), argString(args, "kernel", "auto"), argString(args, "client", "raw"));
        } else {
            load(arg(args, "clients", 32), arg(args, "requests", 20), arg(args, "disconnects", 1000));
        }
        System.exit(0);
    }

    private static int arg(String[] args, String name, int dflt) {
        return Integer.parseInt(argString(args, name, Integer.toString(dflt)));
    }

    private static String argString(String[] args, String name, String dflt) {
        for (String a : args) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        return dflt;
    }

    static long rssKb() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static String body(String prompt, boolean stream, int max) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}], \"max_tokens\": " + max
                + ", \"temperature\": 0, \"stream\": " + stream + "}";
    }

    private static final Pattern CONTENT = Pattern.compile("\"content\":\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static String unescape(String s) {
        return com.google.gson.JsonParser.parseString("\"" + s + "\"").getAsString();
    }

    private static void load(int clients, int requests, int disconnects) throws Exception {
        try (Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                .optMaxNewTokens(MAX_TOKENS).build();
                SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optPort(0).optParallel(2)
                        .optQueue(64).build().start()) {
            String base = "http://127.0.0.1:" + server.port();
            List<String> expected = new ArrayList<>();
            for (String p : PROMPTS) {
                expected.add(lm.chat(List.of(ChatMessage.user(p))).text());
            }
            HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
            for (int i = 0; i < 16; i++) { // warm-up
                http.send(post(base, body(PROMPTS[i % PROMPTS.length], i % 2 == 0, MAX_TOKENS)),
                        HttpResponse.BodyHandlers.ofString());
            }
            long rssBefore = rssKb();
            List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
            List<Long> gaps = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger mismatches = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger tooMany = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger tokens = new AtomicInteger();
            String[] midScrape = new String[1];
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> fs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < requests; i++) {
                        int p = (client + i) % PROMPTS.length;
                        boolean stream = (client + i) % 2 == 0;
                        try {
                            String text = stream ? streamed(http, base, PROMPTS[p], ttft, gaps)
                                    : whole(http, base, PROMPTS[p], tooMany);
                            if (text == null) {
                                continue;
                            }
                            if (text.equals(expected.get(p))) {
                                ok.incrementAndGet();
                            } else {
                                mismatches.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        if (done.incrementAndGet() == clients * requests / 2) {
                            midScrape[0] = scrape(http, base);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            String endScrape = scrape(http, base);
            long rssAfter = rssKb();
            double completion = metric(endScrape, "specdec_completion_tokens_total");
            System.out.printf(Locale.ROOT, "## Load: %d clients x %d requests, chat demo + draft, parallel 2%n%n",
                    clients, requests);
            System.out.printf(Locale.ROOT, "| figure | value |%n| --- | --- |%n");
            System.out.printf(Locale.ROOT, "| requests identical to in-process Specdec.chat | %d of %d |%n", ok.get(),
                    clients * requests);
            System.out.printf(Locale.ROOT, "| different outputs | %d |%n| errors (other than 429) | %d |%n| 429 | %d"
                    + " |%n", mismatches.get(), errors.get(), tooMany.get());
            System.out.printf(Locale.ROOT, "| wall time | %.1f s |%n| throughput | %.1f requests/s, %.0f tokens/s"
                    + " (server's completion-token counter) |%n", seconds, clients * requests / seconds,
                    completion / seconds);
            System.out.printf(Locale.ROOT, "| time to first token p50 / p99 (client, streams) | %.1f / %.1f ms |%n",
                    pct(ttft, 50) / 1e6, pct(ttft, 99) / 1e6);
            System.out.printf(Locale.ROOT, "| inter-token gap p50 / p99 (client, streams) | %.2f / %.2f ms |%n",
                    pct(gaps, 50) / 1e6, pct(gaps, 99) / 1e6);
            System.out.printf(Locale.ROOT, "| RSS before / after (after 16 warm-up requests) | %,d / %,d KB |%n",
                    rssBefore, rssAfter);
            for (String m : new String[] {"specdec_time_to_first_token_seconds_count",
                "specdec_inter_token_latency_seconds_count", "specdec_drafted_tokens_total",
                "specdec_accepted_tokens_total", "specdec_tau_count"}) {
                System.out.printf(Locale.ROOT, "| /metrics %s halfway / end | %.0f / %.0f |%n", m,
                        metric(midScrape[0], m), metric(endScrape, m));
            }
            // disconnects: warm-up, then the measured batch
            hangUps(http, base, 100);
            long rssWarm = rssKb();
            long d0 = System.nanoTime();
            hangUps(http, base, disconnects);
            double dSeconds = (System.nanoTime() - d0) / 1e9;
            double inFlight = -1;
            long deadline = System.currentTimeMillis() + 30_000;
            String s = scrape(http, base);
            while (System.currentTimeMillis() < deadline && (inFlight = metric(s, "specdec_sequences_in_flight")) > 0) {
                Thread.sleep(50);
                s = scrape(http, base);
            }
            System.gc();
            Thread.sleep(500);
            long rssEnd = rssKb();
            System.out.printf(Locale.ROOT, "%n## %d streaming requests that hang up after their first event%n%n",
                    disconnects);
            System.out.printf(Locale.ROOT, "| figure | value |%n| --- | --- |%n| wall time | %.1f s |%n", dSeconds);
            System.out.printf(Locale.ROOT, "| disconnects the server noticed (metrics) | %.0f |%n",
                    metric(s, "specdec_client_disconnects_total"));
            System.out.printf(Locale.ROOT, "| sequences in flight afterwards | %.0f |%n", inFlight);
            System.out.printf(Locale.ROOT, "| RSS after 100 warm-up hang-ups / after %d more | %,d / %,d KB (growth"
                    + " %+,d KB) |%n", disconnects, rssWarm, rssEnd, rssEnd - rssWarm);
        }
    }

    private static void hangUps(HttpClient http, String base, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(pool.submit(() -> {
                HttpResponse<InputStream> r = http.send(post(base, body(PROMPTS[k % PROMPTS.length], true, 200)),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    in.read(new byte[64]);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                // a 429 or a refused connection counts as a hang-up too
            }
        }
        pool.shutdown();
    }

    private static HttpRequest post(String base, String body) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static String whole(HttpClient http, String base, String prompt, AtomicInteger tooMany)
            throws Exception {
        HttpResponse<String> r = http.send(post(base, body(prompt, false, MAX_TOKENS)),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 429) {
            tooMany.incrementAndGet();
            return null;
        }
        if (r.statusCode() != 200) {
            throw new IOException("status " + r.statusCode() + ": " + r.body());
        }
        return com.google.gson.JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                .getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
    }

    private static String streamed(HttpClient http, String base, String prompt, List<Long> ttft, List<Long> gaps)
            throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> r = http.send(post(base, body(prompt, true, MAX_TOKENS)),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IOException("status " + r.statusCode());
        }
        StringBuilder text = new StringBuilder();
        long last = 0;
        boolean finished = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("data: [DONE]")) {
                    finished = true;
                    break;
                }
                Matcher m = CONTENT.matcher(line);
                if (line.startsWith("data: ") && m.find() && !m.group(1).isEmpty()) {
                    long now = System.nanoTime();
                    if (last == 0) {
                        ttft.add(now - start);
                    } else {
                        gaps.add(now - last);
                    }
                    last = now;
                    text.append(unescape(m.group(1)));
                }
            }
        }
        if (!finished) {
            throw new IOException("the stream ended without [DONE]");
        }
        return text.toString();
    }

    private static String scrape(HttpClient http, String base) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    static double metric(String scrape, String name) {
        if (scrape == null) {
            return Double.NaN;
        }
        for (String l : scrape.split("\n")) {
            if (l.startsWith(name + " ") || l.startsWith(name + "{")) {
                return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    private static double pct(List<Long> xs, int p) {
        List<Long> s = new ArrayList<>(xs);
        if (s.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    /**
     * One streamed chat completion over a plain socket ({@code Connection: close}), read to the end with a 15 s read
     * timeout; returns how it ended: {@code completed} (200 and {@code [DONE]}), {@code 503 error JSON},
     * {@code cut short} (200, then the connection closed before {@code [DONE]}), {@code refused} or {@code closed
     * without a response}. A {@link java.net.SocketTimeoutException} means the server kept the connection open and
     * silent.
     */
    private static String rawStream(int port, String prompt) throws IOException {
        byte[] body = body(prompt, true, MAX_TOKENS).getBytes(StandardCharsets.UTF_8);
        try (java.net.Socket s = new java.net.Socket()) {
            try {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
            } catch (java.net.ConnectException e) {
                return "refused";
            }
            s.setSoTimeout(15_000); // past the 10 s the caller waits: a silent connection shows as a hang there
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            try {
                s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
                s.getInputStream().transferTo(got);
            } catch (java.net.SocketTimeoutException e) {
                throw e;
            } catch (java.net.SocketException e) {
                // reset: classified by what arrived before it
            }
            String all = got.toString(StandardCharsets.UTF_8);
            if (all.startsWith("HTTP/1.1 200")) {
                return all.contains("data: [DONE]") ? "completed" : "cut short";
            }
            if (all.startsWith("HTTP/1.1 503") && all.contains("\"error\"")) {
                return "503 error JSON";
            }
            return all.isEmpty() ? "closed without a response" : "other: " + all.lines().findFirst().orElse("");
        }
    }

    private static void shutdown(int runs, String kernel, String client) throws Exception {
        System.setProperty("specdec.kernel", kernel);
        Random rnd = new Random(3);
        java.util.TreeMap<String, Integer> outcomes = new java.util.TreeMap<>();
        int hung = 0;
        long t0 = System.nanoTime();
        for (int run = 0; run < runs; run++) {
            Specdec lm = Specdec.builder().setModel(DemoModels.chatTarget()).optDraftModel(DemoModels.chatDraft())
                    .build();
            SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optOwnsModel(true).optPort(0)
                    .optParallel(2).build().start();
            int port = server.port();
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<String>> fs = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int k = c;
                fs.add(pool.submit(() -> {
                    String prompt = PROMPTS[(k + 1) % PROMPTS.length];
                    if (client.equals("raw")) {
                        return rawStream(port, prompt); // a timeout propagates: counted as hung
                    }
                    try {
                        streamed(http, base, prompt, new ArrayList<>(), new ArrayList<>());
                        return "completed";
                    } catch (Exception e) {
                        return "error (status or closed connection)";
                    }
                }));
            }
            Thread.sleep(rnd.nextInt(40));
            server.close(); // stops accepting, cancels, frees the model
            for (Future<String> f : fs) {
                try {
                    outcomes.merge(f.get(10, TimeUnit.SECONDS), 1, Integer::sum);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof java.net.SocketTimeoutException)) {
                        throw e;
                    }
                    hung++;
                } catch (java.util.concurrent.TimeoutException e) {
                    hung++;
                    if (System.getProperty("dump") != null && hung == 1) {
                        Process ss = new ProcessBuilder("ss", "-tanoe", "( sport = :" + port + " or dport = :" + port
                                + " )").redirectErrorStream(true).start();
                        System.err.println(new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                        Thread.getAllStackTraces().forEach((t, st) -> {
                            System.err.println("THREAD " + t.getName() + " " + t.getState());
                            for (int i = 0; i < Math.min(12, st.length); i++) {
                                System.err.println("    " + st[i]);
                            }
                        });
                    }
                }
            }
            pool.shutdownNow();
        }
        System.out.printf(Locale.ROOT, "## Shutdown with 4 streams in flight, %d times, kernel %s, client %s%n%n"
                + "| outcome | count |%n| --- | --- |%n", runs, kernel, client);
        outcomes.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %d |%n", k, v));
        System.out.printf(Locale.ROOT, "| hung (no end within 10 s) | %d |%n| JVM aborts | 0 (this line is printed"
                + " after the last run) |%n| wall time | %.1f s |%n", hung, (System.nanoTime() - t0) / 1e9);
    }
}
