package io.specdec.bench.server;

import com.sun.net.httpserver.HttpServer;
import io.javalin.Javalin;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP layer's own cost, measured for the libraries the server could sit on: Javalin 6 (Jetty 11, what
 * {@code SpecdecServer} uses), Undertow 2.3 (core, blocking handlers) and the JDK's {@code com.sun.net.httpserver}.
 * Helidon SE 4 needs Java 21 and is out (the library targets 17). Each server answers the two shapes the
 * OpenAI-compatible server sends, with no model behind them: {@code POST /json} (a ~300-byte JSON body in, a ~300-byte
 * JSON out, like a non-streamed completion) and {@code POST /sse} (48 server-sent events of ~120 bytes, each flushed,
 * like a streamed one). {@code clients} threads of the JDK's {@code HttpClient} (HTTP/1.1, keep-alive) send back to
 * back for {@code seconds} per shape after a 3 s warm-up; every server is measured three times, in the order A B C A B
 * C A B C, and every round is printed (the first is mostly the JIT warming up client and server). Client and server
 * share the machine, as they do in {@code ServerLoad}.
 *
 * <pre>{@code
 * java -cp specdec-bench/target/benchmarks.jar io.specdec.bench.server.HttpOverhead [clients=8] [seconds=5]
 * }</pre>
 */
public final class HttpOverhead {
    private static final String JSON = "{\"id\":\"chatcmpl-0\",\"object\":\"chat.completion\",\"model\":\"demo\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"Once upon a time, there was a little girl named Lily. She loved to play.\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":24,"
            + "\"total_tokens\":36}}";
    private static final byte[] EVENT = ("data: {\"id\":\"chatcmpl-0\",\"object\":\"chat.completion.chunk\",\"choices"
            + "\":[{\"index\":0,\"delta\":{\"content\":\" Lily\"}}]}\n\n").getBytes(StandardCharsets.UTF_8);
    private static final int EVENTS = 48;

    private HttpOverhead() {}

    /** A server under test: its name, its port, how to stop it. */
    private record Server(String name, int port, AutoCloseable stop) {}

    private interface Starter {
        Server start() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int clients = 8;
        int seconds = 5;
        for (String a : args) {
            if (a.startsWith("clients=")) {
                clients = Integer.parseInt(a.substring(8));
            } else if (a.startsWith("seconds=")) {
                seconds = Integer.parseInt(a.substring(8));
            }
        }
        Starter[] starters = {HttpOverhead::javalin, HttpOverhead::undertow, HttpOverhead::jdk};
        System.out.printf(Locale.ROOT, "## HTTP layer alone: %d clients, %d s per shape, %d cores, %s%n%n", clients,
                seconds, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        System.out.printf(Locale.ROOT, "| round | server | JSON requests/s | JSON p50 / p99 ms | SSE streams/s (x%d"
                + " events) | SSE p50 / p99 ms | failed requests |%n| --- | --- | --- | --- | --- | --- | --- |%n",
                EVENTS);
        for (int round = 1; round <= 3; round++) {
            for (Starter st : starters) {
                Server s = st.start();
                try {
                    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .executor(Executors.newFixedThreadPool(clients)).build();
                    String base = "http://127.0.0.1:" + s.port();
                    run(http, base + "/json", false, clients, 3); // warm-up
                    run(http, base + "/sse", true, clients, 3);
                    double[] json = run(http, base + "/json", false, clients, seconds);
                    double[] sse = run(http, base + "/sse", true, clients, seconds);
                    System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.2f / %.2f | %.0f | %.2f / %.2f | %.0f |%n",
                            round, s.name(), json[0], json[1], json[2], sse[0], sse[1], sse[2], json[3] + sse[3]);
                } finally {
                    s.stop().close();
                }
            }
        }
        System.exit(0);
    }

    /**
     * Requests per second, p50 / p99 latency in ms over {@code seconds}, and the failed requests (an I/O error, a
     * status other than 200 or a short body).
     */
    private static double[] run(HttpClient http, String url, boolean sse, int clients, int seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Long> lat = Collections.synchronizedList(new ArrayList<>());
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON)).build();
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                        byte[] body;
                        try (InputStream in = r.body()) {
                            body = in.readAllBytes();
                        }
                        int want = sse ? EVENT.length * EVENTS : JSON.length();
                        if (r.statusCode() != 200 || body.length != want) {
                            errors.incrementAndGet();
                        }
                        lat.add(System.nanoTime() - t0);
                    } catch (IOException | InterruptedException e) {
                        errors.incrementAndGet();
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        List<Long> s = new ArrayList<>(lat);
        Collections.sort(s);
        return new double[] {s.size() / (double) seconds, s.get(s.size() / 2) / 1e6,
            s.get(Math.min(s.size() - 1, (int) (s.size() * 0.99))) / 1e6, errors.get()};
    }

    private static Server javalin() {
        Javalin app = Javalin.create(cfg -> cfg.showJavalinBanner = false);
        app.post("/json", ctx -> {
            ctx.bodyAsBytes();
            ctx.contentType("application/json").result(JSON);
        });
        app.post("/sse", ctx -> {
            ctx.bodyAsBytes();
            ctx.res().setContentType("text/event-stream");
            OutputStream out = ctx.res().getOutputStream();
            for (int i = 0; i < EVENTS; i++) {
                out.write(EVENT);
                out.flush();
            }
        });
        app.start("127.0.0.1", 0);
        return new Server("Javalin 6.7 (Jetty 11)", app.port(), app::stop);
    }

    private static Server undertow() {
        HttpHandler h = new HttpHandler() {
            @Override
            public void handleRequest(io.undertow.server.HttpServerExchange ex) throws Exception {
                if (ex.isInIoThread()) {
                    ex.dispatch(this);
                    return;
                }
                ex.startBlocking();
                ex.getInputStream().readAllBytes();
                boolean sse = ex.getRequestPath().equals("/sse");
                ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, sse ? "text/event-stream"
                        : "application/json");
                OutputStream out = ex.getOutputStream();
                if (sse) {
                    for (int i = 0; i < EVENTS; i++) {
                        out.write(EVENT);
                        out.flush();
                    }
                } else {
                    out.write(JSON.getBytes(StandardCharsets.UTF_8));
                }
                ex.endExchange();
            }
        };
        Undertow u = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(h).build();
        u.start();
        int port = ((InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort();
        return new Server("Undertow 2.3", port, u::stop);
    }

    private static Server jdk() throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true"); // without it: 44 ms per request (Nagle + delayed ACK)
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        ExecutorService workers = Executors.newFixedThreadPool(16);
        s.setExecutor(workers);
        s.createContext("/json", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] b = JSON.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        s.createContext("/sse", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < EVENTS; i++) {
                    out.write(EVENT);
                    out.flush();
                }
            }
        });
        s.start();
        return new Server("JDK com.sun.net.httpserver", s.getAddress().getPort(), () -> {
            s.stop(0);
            workers.shutdownNow();
        });
    }
}
