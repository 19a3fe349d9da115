package io.specdec.cli;

import io.specdec.Specdec;
import io.specdec.demo.DemoModels;
import io.specdec.generate.GenerationConfig;
import io.specdec.server.SpecdecServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code serve}: the OpenAI-compatible server ({@link SpecdecServer}) on one model with any drafter, until Ctrl-C or
 * SIGTERM (which stop accepting, cancel running generations and free the model).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions,"
                + " /v1/models, /health, /metrics), speculatively with any drafter.")
final class ServeCommand extends Subcommand {
    @Mixin
    SamplingOptions samplingOptions;
    @Mixin
    DrafterCli drafting = new DrafterCli();

    @Option(names = "--model", paramLabel = "PATH", description = "GGUF file, Hugging Face directory or llama2.c"
            + " .bin; default: the embedded chat demo with its draft")
    Path model;
    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "default the model's own")
    String chatTemplate;
    @Option(names = "--host", paramLabel = "ADDR", description = "interface to bind; default 127.0.0.1")
    String host = "127.0.0.1";
    @Option(names = "--port", paramLabel = "N", description = "default 8080; 0 picks a free port")
    int port = 8080;
    @Option(names = "--model-id", paramLabel = "ID", description = "the id clients name; default the file name")
    String modelId;
    @Option(names = "--parallel", paramLabel = "N", description = "generations at once; default 1")
    int parallel = 1;
    @Option(names = "--queue", paramLabel = "N", description = "requests waiting before 429; default 16")
    int queue = 16;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "per request (waiting + generating);"
            + " default 300")
    int timeout = 300;
    @Option(names = "--batching", description = "continuous batching: the requests running at once (--parallel)"
            + " share one forward per round; with a draft model the draft length follows the batch")
    boolean batching;
    @Option(names = "--max-tokens", paramLabel = "N", description = "default max_tokens; default 256")
    int maxTokens = 256;
    @Mixin
    LossyOptions lossyOptions = new LossyOptions();

    @Override
    public Integer call() throws Exception {
        CommandLine cl = cl();
        configure();
        if (parallel < 1 || queue < 0 || timeout < 1 || maxTokens < 1 || port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(cl, "--parallel >= 1, --queue >= 0, --timeout >= 1,"
                    + " --max-tokens >= 1 and --port in 0..65535 are required");
        }
        List<String> drafters = drafting.chosen(cl);
        if (model == null) {
            model = DemoModels.chatTarget();
            if (drafters.isEmpty() && drafting.values.isEmpty()) {
                drafting.values.put("draft-model", DemoModels.chatDraft().toString());
                drafters = List.of("draft-model");
            }
        }
        if (drafters.size() > 1) {
            throw new CommandLine.ParameterException(cl, "serve runs one drafter");
        }
        io.specdec.verify.LossyPolicies.Spec rule = lossyOptions.spec(cl, !drafters.isEmpty());
        Path head = lossyOptions.head(cl, rule);
        Specdec.Builder b = Specdec.builder().setModel(model).optConfig(GenerationConfig.builder()
                .optMaxNewTokens(maxTokens).optSampling(samplingOptions.build(cl)).build()).optBatching(batching);
        if (chatTemplate != null) {
            b.optChatTemplate(chatTemplate);
        }
        if (!drafters.isEmpty()) {
            b.optDrafter(drafters.get(0));
            for (Map.Entry<String, String> e : drafting.values.entrySet()) {
                b.optDrafterOption(e.getKey(), e.getValue());
            }
        }
        if (rule != null) {
            b.optLossy(rule.toString()).optLossyHead(head);
            main.err.println("note: --lossy " + rule + " is lossy: responses to the requests it applies to are not"
                    + " guaranteed to be what the model alone would produce");
        }
        Specdec lm = b.build();
        SpecdecServer server = SpecdecServer.builder().setSpecdec(lm).optOwnsModel(true).optHost(host).optPort(port)
                .optModelId(modelId).optParallel(parallel).optQueue(queue).optTimeout(Duration.ofSeconds(timeout))
                .build().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "specdec-serve-shutdown"));
        main.err.printf("serving %s on http://%s:%d/v1 (%s; parallel %d, queue %d%s)%n", model.getFileName(), host,
                server.port(), lm.drafter() == null ? "no drafter" : "drafter " + lm.drafter().name(), parallel,
                queue, (batching ? ", continuous batching" : "") + (lm.lossy() == null ? "" : ", LOSSY "
                        + lm.lossy()));
        stopped.await();
        return 0;
    }
}
