package io.specdec.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.specdec.Specdec;
import io.specdec.chat.ChatTemplateException;
import io.specdec.generate.FinishReason;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.SpeculationStats;
import io.specdec.generate.TextGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible HTTP server over one {@link Specdec} (one loaded model, any drafter and controller):
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions} (with {@code stream: true} as server-sent events
 * in OpenAI's chunk format), {@code GET /v1/models}, {@code GET /health}, {@code GET /metrics} (Prometheus text).
 * Responses carry the usual {@code usage} plus the speculation statistics under {@code usage.speculation}.
 *
 * <p>On Javalin 6 (Jetty 11): small, Java 11+, SSE-friendly output streams, one dependency for routing, body limits
 * and error mapping. Admission: at most {@code parallel} generations run at once (each with its own KV cache on the
 * one thread-safe model), up to {@code queue} more wait, and a request beyond that gets 429 with
 * {@code Retry-After}; a request waits at most its timeout, which also bounds its generation. A client that
 * disconnects mid-stream has its generation cancelled at once. Errors are OpenAI's error JSON with the one-line
 * messages of the CLI; nothing a client sends reaches the model unchecked. Binds the loopback unless told otherwise.
 * {@link #close()} stops accepting, cancels running generations, then closes the model. Thread-safe.
 */
public final class SpecdecServer implements AutoCloseable {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private final Specdec specdec;
    private final boolean ownsModel;
    private final String modelId;
    private final String host;
    private final int requestedPort;
    private final int parallel;
    private final int queue;
    private final Duration timeout;
    private final long maxBodyBytes;
    final Semaphore permits; // package-private: tests hold slots to exercise back-pressure
    private final AtomicInteger waiting = new AtomicInteger();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "specdec-server-timeouts");
        t.setDaemon(true);
        return t;
    });
    private final Timer ttft;
    private final Timer interToken;
    private final DistributionSummary tau;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Counter drafted;
    private final Counter accepted;
    private final Counter disconnects;
    private Javalin app;
    private volatile boolean ready;
    private volatile boolean closing;
    private final java.util.Set<Generation> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * Every accepted connection not yet seen closed (closed ones are swept out as new ones arrive). Jetty 11 can leave
     * a connection that arrives as it stops open and unread, so its client waits forever (4 of 120 clients in
     * {@code ServerLoad shutdown}, all in the first run); {@link #close()} closes what is still open here after the
     * stop.
     */
    private final java.util.Set<java.nio.channels.SelectableChannel> connections =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    private SpecdecServer(Builder b) {
        this.specdec = Objects.requireNonNull(b.specdec, "the model is required (setSpecdec)");
        this.ownsModel = b.ownsModel;
        this.modelId = b.modelId != null ? b.modelId : String.valueOf(specdec.checkpoint().path().getFileName());
        this.host = b.host;
        this.requestedPort = b.port;
        this.parallel = b.parallel;
        this.queue = b.queue;
        this.timeout = b.timeout;
        this.maxBodyBytes = b.maxBodyBytes;
        this.permits = new Semaphore(parallel, true);
        this.ttft = Timer.builder("specdec_time_to_first_token").description("request start to first token")
                .publishPercentileHistogram().register(metrics);
        this.interToken = Timer.builder("specdec_inter_token_latency").description("between streamed tokens")
                .publishPercentileHistogram().register(metrics);
        this.tau = DistributionSummary.builder("specdec_tau").description("tokens per target forward, per request")
                .register(metrics);
        this.promptTokens = Counter.builder("specdec_prompt_tokens").register(metrics);
        this.completionTokens = Counter.builder("specdec_completion_tokens").register(metrics);
        this.drafted = Counter.builder("specdec_drafted_tokens").register(metrics);
        this.accepted = Counter.builder("specdec_accepted_tokens").register(metrics);
        this.disconnects = Counter.builder("specdec_client_disconnects").register(metrics);
        Gauge.builder("specdec_queue_depth", waiting, AtomicInteger::get).register(metrics);
        Gauge.builder("specdec_kv_cache_bytes", specdec.model(), io.specdec.model.LlamaModel::liveCacheBytes)
                .description("target KV caches held by running generations and kept conversations")
                .baseUnit("bytes").register(metrics);
        Gauge.builder("specdec_sequences_in_flight", permits, p -> parallel - p.availablePermits()).register(metrics);
        Gauge.builder("specdec_acceptance_rate", this, s -> {
            double d = s.drafted.count();
            return d == 0 ? 0 : s.accepted.count() / d;
        }).register(metrics);
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts listening; returns this. */
    public synchronized SpecdecServer start() {
        if (app != null) {
            throw new IllegalStateException("the server is already started");
        }
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = maxBodyBytes;
            cfg.jetty.defaultHost = host;
            // graceful stop: the connector stops accepting, requests already read are answered, for up to 10 s
            cfg.jetty.modifyServer(server -> {
                server.setStopTimeout(10_000);
                server.setStopAtShutdown(false);
                server.setErrorHandler(new JsonErrorHandler()); // Jetty's own errors in OpenAI's shape too
            });
        });
        app.get("/health", ctx -> ctx.status(ready ? 200 : 503).json(GSON.toJson(health())));
        app.get("/v1/models", ctx -> send(ctx, 200, models()));
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(metrics.scrape()));
        app.post("/v1/chat/completions", ctx -> complete(ctx, true));
        app.post("/v1/completions", ctx -> complete(ctx, false));
        app.exception(ApiError.class, (e, ctx) -> send(ctx, e.status, e.toJson()));
        app.exception(Exception.class, (e, ctx) -> send(ctx, 500, new ApiError(500, "server_error", null, null,
                oneLine(e)).toJson()));
        app.error(404, ctx -> {
            if (ctx.result() == null) {
                send(ctx, 404, new ApiError(404, "invalid_request_error", null, "not_found", ctx.method() + " "
                        + ctx.path() + " does not exist").toJson());
            }
        });
        app.error(413, ctx -> send(ctx, 413, new ApiError(413, "invalid_request_error", null, "request_too_large",
                "request body over " + maxBodyBytes + " bytes").toJson()));
        app.start(host, requestedPort);
        for (org.eclipse.jetty.server.Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof org.eclipse.jetty.server.ServerConnector sc) {
                sc.getSelectorManager().addEventListener(new org.eclipse.jetty.io.SelectorManager.AcceptListener() {
                    @Override
                    public void onAccepting(java.nio.channels.SelectableChannel ch) {
                        if (connections.size() >= 64) {
                            connections.removeIf(c -> !c.isOpen()); // bounded by the connections open, not served
                        }
                        connections.add(ch);
                    }
                });
            }
        }
        ready = true;
        return this;
    }

    /** The port listened on (the ephemeral one when 0 was asked for). */
    public int port() {
        return app.port();
    }

    /** The Prometheus registry (for embedding applications). */
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    private JsonObject health() {
        JsonObject o = new JsonObject();
        o.addProperty("status", ready ? "ok" : "loading");
        o.addProperty("model", modelId);
        return o;
    }

    private JsonObject models() {
        JsonObject m = new JsonObject();
        m.addProperty("id", modelId);
        m.addProperty("object", "model");
        m.addProperty("created", System.currentTimeMillis() / 1000);
        m.addProperty("owned_by", "specdec");
        com.google.gson.JsonArray data = new com.google.gson.JsonArray();
        data.add(m);
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        return o;
    }

    private void complete(Context ctx, boolean chat) throws IOException {
        String endpoint = chat ? "chat" : "completions";
        long start = System.nanoTime();
        CompletionRequest req = parse(ctx, chat);
        if (req.model() != null && !req.model().equals(modelId)) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "model '" + req.model()
                    + "' is not served here (served: " + modelId + ")");
        }
        admit();
        try {
            Generation g = startGeneration(req, chat);
            running.add(g);
            if (closing) {
                g.cancel(); // close() may have swept the running set just before this one joined it
            }
            ScheduledFuture<?> deadline = timer.schedule(g::cancel, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try (g) {
                if (req.stream()) {
                    stream(ctx, g, req, chat, start);
                } else {
                    GenerationResult r = run(g, start);
                    record(r);
                    send(ctx, 200, response(r, chat));
                }
            } finally {
                deadline.cancel(false);
                running.remove(g);
            }
            count(endpoint, 200);
        } finally {
            permits.release();
        }
    }

    private CompletionRequest parse(Context ctx, boolean chat) {
        byte[] body = ctx.bodyAsBytes();
        if (body.length > maxBodyBytes) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large", "request body of "
                    + body.length + " bytes is over the limit of " + maxBodyBytes);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.invalid(null, "the request body is not valid UTF-8");
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (RuntimeException e) {
            String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
                    : oneLine(e);
            throw ApiError.invalid(null, "the request body is not valid JSON: " + why.replaceAll("\\s+", " "));
        }
        if (!root.isJsonObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object, found "
                    + CompletionRequest.kind(root));
        }
        return CompletionRequest.parse(root.getAsJsonObject(), chat, specdec.config(),
                specdec.model().config().contextLength());
    }

    /** Waits for a sequence slot (bounded queue, bounded wait) or refuses with 429 / 503. */
    private void admit() {
        if (closing) {
            throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
        }
        if (permits.tryAcquire()) {
            if (closing) {
                permits.release();
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
            return;
        }
        if (waiting.incrementAndGet() > queue) {
            waiting.decrementAndGet();
            throw new RetryLater("server busy: " + parallel + " generations running and " + queue + " waiting");
        }
        try {
            if (!permits.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ApiError(503, "server_error", null, "timeout", "no generation slot within "
                        + timeout.toSeconds() + " s");
            }
            if (closing) {
                permits.release();
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** 429 with {@code Retry-After}. */
    static final class RetryLater extends ApiError {
        private static final long serialVersionUID = 1L;

        RetryLater(String message) {
            super(429, "rate_limit_error", null, "rate_limit_exceeded", message);
        }
    }

    private Generation startGeneration(CompletionRequest req, boolean chat) {
        try {
            if (chat) {
                return specdec.startChat(req.messages(), req.config());
            }
            TextGenerator gen = specdec.withConfig(req.config());
            return gen.start(gen.tokenizer().encode(req.prompt(),
                    req.config().addBos() && gen.tokenizer().addBosByDefault()));
        } catch (ChatTemplateException e) {
            throw ApiError.invalid("messages", e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiError(503, "server_error", null, "unavailable", oneLine(e));
        } catch (IllegalArgumentException e) {
            String m = oneLine(e);
            String code = m.startsWith("prompt has ") ? "context_length_exceeded" : null;
            throw new ApiError(400, "invalid_request_error", chat ? "messages" : "prompt", code, m);
        }
    }

    private GenerationResult run(Generation g, long start) {
        long last = 0;
        while (g.hasNext()) {
            g.next();
            long now = System.nanoTime();
            (last == 0 ? ttft : interToken).record(now - (last == 0 ? start : last), TimeUnit.NANOSECONDS);
            last = now;
        }
        return g.result();
    }

    private void stream(Context ctx, Generation g, CompletionRequest req, boolean chat, long start)
            throws IOException {
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        try {
            if (chat) {
                JsonObject delta = new JsonObject();
                delta.addProperty("role", "assistant");
                delta.addProperty("content", "");
                event(out, chunk(id, created, chat, delta, null, null));
            }
            long last = 0;
            while (g.hasNext()) {
                GeneratedToken t = g.next();
                long now = System.nanoTime();
                (last == 0 ? ttft : interToken).record(now - (last == 0 ? start : last), TimeUnit.NANOSECONDS);
                last = now;
                if (t.text().isEmpty()) {
                    continue;
                }
                JsonObject delta = new JsonObject();
                delta.addProperty(chat ? "content" : "text", t.text());
                event(out, chunk(id, created, chat, delta, null, null));
            }
            GenerationResult r = g.result();
            record(r);
            JsonObject delta = new JsonObject();
            if (!chat) {
                delta.addProperty("text", "");
            }
            event(out, chunk(id, created, chat, delta, finishReason(r.finishReason()), null));
            if (req.includeUsage()) {
                event(out, chunk(id, created, chat, null, null, usage(r)));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            g.cancel(); // the client went away: stop generating and free the cache now
            disconnects.increment();
        }
    }

    private void event(OutputStream out, JsonObject chunk) throws IOException {
        out.write(("data: " + GSON.toJson(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private JsonObject chunk(String id, long created, boolean chat, JsonObject delta, String finish, JsonObject usage) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", chat ? "chat.completion.chunk" : "text_completion");
        o.addProperty("created", created);
        o.addProperty("model", modelId);
        com.google.gson.JsonArray choices = new com.google.gson.JsonArray();
        if (delta != null) {
            JsonObject c = new JsonObject();
            c.addProperty("index", 0);
            if (chat) {
                c.add("delta", delta);
            } else {
                c.addProperty("text", delta.has("text") ? delta.get("text").getAsString() : "");
            }
            c.add("logprobs", com.google.gson.JsonNull.INSTANCE);
            if (finish == null) {
                c.add("finish_reason", com.google.gson.JsonNull.INSTANCE);
            } else {
                c.addProperty("finish_reason", finish);
            }
            choices.add(c);
        }
        o.add("choices", choices);
        if (usage != null) {
            o.add("usage", usage);
        }
        return o;
    }

    private JsonObject response(GenerationResult r, boolean chat) {
        JsonObject o = new JsonObject();
        o.addProperty("id", (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID());
        o.addProperty("object", chat ? "chat.completion" : "text_completion");
        o.addProperty("created", System.currentTimeMillis() / 1000);
        o.addProperty("model", modelId);
        JsonObject c = new JsonObject();
        c.addProperty("index", 0);
        if (chat) {
            JsonObject m = new JsonObject();
            m.addProperty("role", "assistant");
            m.addProperty("content", r.text());
            m.add("refusal", com.google.gson.JsonNull.INSTANCE);
            c.add("message", m);
        } else {
            c.addProperty("text", r.text());
        }
        c.add("logprobs", com.google.gson.JsonNull.INSTANCE);
        c.addProperty("finish_reason", finishReason(r.finishReason()));
        com.google.gson.JsonArray choices = new com.google.gson.JsonArray();
        choices.add(c);
        o.add("choices", choices);
        o.add("usage", usage(r));
        return o;
    }

    private JsonObject usage(GenerationResult r) {
        JsonObject u = new JsonObject();
        u.addProperty("prompt_tokens", r.stats().promptTokens());
        u.addProperty("completion_tokens", r.stats().generatedTokens());
        u.addProperty("total_tokens", r.stats().promptTokens() + r.stats().generatedTokens());
        SpeculationStats s = r.speculation();
        if (s != null) {
            JsonObject sp = new JsonObject();
            sp.addProperty("drafter", specdec.drafter() == null ? null : specdec.drafter().name());
            sp.addProperty("rounds", s.rounds());
            sp.addProperty("drafted_tokens", s.drafted());
            sp.addProperty("accepted_tokens", s.accepted());
            sp.addProperty("tau", s.tau());
            sp.addProperty("acceptance_rate", s.acceptanceRate());
            if (s.lossy() != null) {
                sp.addProperty("lossy", s.lossy()); // the opt-in rule this response ran under
            }
            u.add("speculation", sp);
        }
        return u;
    }

    private void record(GenerationResult r) {
        promptTokens.increment(r.stats().promptTokens());
        completionTokens.increment(r.stats().generatedTokens());
        SpeculationStats s = r.speculation();
        if (s != null && s.rounds() > 0) {
            drafted.increment(s.drafted());
            accepted.increment(s.accepted());
            tau.record(s.tau());
        }
    }

    private static String finishReason(FinishReason f) {
        return f == FinishReason.EOS || f == FinishReason.STOP_STRING ? "stop" : "length";
    }

    private void count(String endpoint, int status) {
        Counter.builder("specdec_requests").tag("endpoint", endpoint).tag("status", Integer.toString(status))
                .register(metrics).increment();
    }

    private void send(Context ctx, int status, JsonObject body) {
        if (status >= 400) {
            count(ctx.path().contains("chat") ? "chat" : ctx.path().contains("completions") ? "completions"
                    : "other", status);
        }
        if (status == 429) {
            ctx.header("Retry-After", "1");
        }
        ctx.status(status).contentType("application/json").result(GSON.toJson(body));
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * Shuts down: new requests and those waiting for a slot get 503; running generations are cancelled, so their
     * clients get a complete (cut short) response or stream; after they end (at most 10 s) the HTTP server stops and,
     * if this server owns it, the model is closed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        ready = false;
        closing = true;
        permits.release(1 << 20); // wake every waiter: each sees closing and answers 503
        long deadline = System.currentTimeMillis() + 10_000;
        try {
            while (!running.isEmpty() && System.currentTimeMillis() < deadline) {
                running.forEach(Generation::cancel);
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (app != null) {
                app.stop();
            }
        } finally {
            for (java.nio.channels.SelectableChannel ch : connections) {
                try {
                    ch.close(); // left open by the stop: its client sees the connection close instead of waiting
                } catch (IOException e) {
                    // already broken: nothing to free
                }
            }
            connections.clear();
            timer.shutdownNow();
            if (ownsModel) {
                specdec.close();
            }
        }
    }

    /** Builder. Not thread-safe. */
    public static final class Builder {
        private Specdec specdec;
        private boolean ownsModel;
        private String modelId;
        private String host = "127.0.0.1";
        private int port = 8080;
        private int parallel = 1;
        private int queue = 16;
        private Duration timeout = Duration.ofMinutes(5);
        private long maxBodyBytes = 4L << 20;

        /** The model to serve; the server does not close it unless {@link #optOwnsModel(boolean)}. */
        public Builder setSpecdec(Specdec s) {
            this.specdec = s;
            return this;
        }

        /** Whether {@link SpecdecServer#close()} also closes the model; default false. */
        public Builder optOwnsModel(boolean owns) {
            this.ownsModel = owns;
            return this;
        }

        /** The model id clients name; default the checkpoint's file name. */
        public Builder optModelId(String id) {
            this.modelId = id;
            return this;
        }

        /** Interface to bind; default 127.0.0.1 (loopback only). */
        public Builder optHost(String h) {
            this.host = h;
            return this;
        }

        /** Port; 0 picks a free one; default 8080. */
        public Builder optPort(int p) {
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, found " + p);
            }
            this.port = p;
            return this;
        }

        /** Generations running at once (each with its own KV cache); default 1. */
        public Builder optParallel(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("parallel must be >= 1, found " + n);
            }
            this.parallel = n;
            return this;
        }

        /** Requests waiting for a slot before 429; default 16. */
        public Builder optQueue(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("queue must be >= 0, found " + n);
            }
            this.queue = n;
            return this;
        }

        /** The longest a request waits for a slot and then generates; default 5 minutes. */
        public Builder optTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, found " + d);
            }
            this.timeout = d;
            return this;
        }

        /** Largest request body; default 4 MiB. */
        public Builder optMaxBodyBytes(long n) {
            if (n < 1024) {
                throw new IllegalArgumentException("max body must be >= 1024 bytes, found " + n);
            }
            this.maxBodyBytes = n;
            return this;
        }

        public SpecdecServer build() {
            return new SpecdecServer(this);
        }
    }
}
