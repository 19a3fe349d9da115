package io.specdec;

import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.TextGenerator;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DrafterEnvironment;
import io.specdec.speculation.DrafterSetup;
import io.specdec.speculation.Drafters;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.Tokenizer;
import io.specdec.verify.Speculation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one entry point: a model path (and optionally a drafter by name) to streaming text, plain or speculative, with
 * the registry's lossless defaults. In the spirit of DJL's {@code Criteria → Predictor} and java-llama.cpp's
 * {@code ModelParameters.setModelDraft}:
 *
 * <pre>{@code
 * try (Specdec lm = Specdec.builder().setModel(Path.of("stories260K.gguf"))
 *         .optDraftModel(Path.of("draft43K.gguf")).optMaxNewTokens(64).build()) {
 *     GenerationResult r = lm.generate("Once upon a time", t -> System.out.print(t.text()));
 *     System.out.println(r.speculation()); // τ, acceptance, time split
 * }
 * }</pre>
 *
 * Any registered drafter ({@link Drafters#names()}) is picked with {@link Builder#optDrafter(String)} and configured
 * with {@link Builder#optDrafterOption(String, String)} (the same names and defaults as the CLI's options). Without a
 * drafter it decodes autoregressively. The output is exactly the model's alone: identical tokens when greedy, the
 * identical distribution when sampling. Owns the loaded models (native memory): close it. Thread safety: as
 * {@link SpeculativeDecoder} — concurrent requests need a controller per request, so use one instance per thread
 * with speculation.
 */
public final class Specdec implements TextGenerator, AutoCloseable {
    private final LoadedModel loaded;
    private final LlamaModel model;
    private final DrafterSetup setup;
    private final TextGenerator generator;

    private Specdec(LoadedModel loaded, LlamaModel model, DrafterSetup setup, TextGenerator generator) {
        this.loaded = loaded;
        this.model = model;
        this.setup = setup;
        this.generator = generator;
    }

    /** A builder: {@code set*} required, {@code opt*} optional. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Generation start(int[] promptIds) {
        return generator.start(promptIds);
    }

    @Override
    public Tokenizer tokenizer() {
        return generator.tokenizer();
    }

    @Override
    public GenerationConfig config() {
        return generator.config();
    }

    /** The loaded target model. */
    public LlamaModel model() {
        return model;
    }

    /** The checkpoint as loaded (format, config, tokenizer). */
    public LoadedModel checkpoint() {
        return loaded;
    }

    /**
     * The name of the draft-length controller each request gets (e.g. {@code static(3)}, {@code specdec++(h=0.60)}),
     * or null for plain decoding.
     */
    public String controllerName() {
        return generator instanceof SpeculativeDecoder d ? d.controllerName() : null;
    }

    /** The drafter as its provider built it (shape, budget, memory), or null for plain decoding. */
    public DrafterSetup drafter() {
        return setup;
    }

    @Override
    public void close() {
        try {
            if (setup != null) {
                setup.close();
            }
        } finally {
            model.close();
            loaded.close();
        }
    }

    /** Builder. Not thread-safe. */
    public static final class Builder {
        private Path modelPath;
        private String drafter;
        private final Map<String, String> options = new LinkedHashMap<>();
        private GenerationConfig config;
        private SamplingConfig sampling;
        private Integer maxNewTokens;
        private String controller;
        private final Map<String, String> controllerOptions = new LinkedHashMap<>();
        private List<String> calibration = List.of("Once upon a time");
        private Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "specdec-cache");

        /** The target checkpoint: a GGUF file, a Hugging Face directory or a llama2.c {@code .bin} (required). */
        public Builder setModel(Path path) {
            this.modelPath = path;
            return this;
        }

        /** A registered drafter by name (e.g. {@code "draft-model"}, {@code "recycling"}); default none (plain). */
        public Builder optDrafter(String name) {
            this.drafter = name;
            return this;
        }

        /** A drafter option ({@code --name value} on the CLI, without the dashes); defaults as documented there. */
        public Builder optDrafterOption(String name, String value) {
            options.put(name, value);
            return this;
        }

        /** Speculation with a draft model: selects the {@code draft-model} drafter with this checkpoint. */
        public Builder optDraftModel(Path draft) {
            if (drafter == null) {
                drafter = "draft-model";
            }
            options.put("draft-model", draft.toString());
            return this;
        }

        /** Limits and sampling; default {@link GenerationConfig#defaults()}. */
        public Builder optConfig(GenerationConfig c) {
            this.config = c;
            return this;
        }

        /** Sampling (replaces the config's); default greedy. */
        public Builder optSampling(SamplingConfig s) {
            this.sampling = s;
            return this;
        }

        /** New tokens at most (replaces the config's). */
        public Builder optMaxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Length controller from the controller registry ({@link io.specdec.speculation.Controllers}): {@code static},
         * {@code static:K}, {@code heuristic}, {@code confidence[:P]}, {@code goodput}, {@code specdec++[:H]} (with
         * {@code optControllerOption("acceptance-head", path)}), or any registered one; default the drafter's
         * preference (static at its sized budget).
         */
        public Builder optController(String name) {
            this.controller = name;
            return this;
        }

        /**
         * A controller option ({@code --name value} on the CLI, without the dashes), e.g. {@code acceptance-head},
         * {@code threshold}, {@code k-min}, {@code confidence}; checked against the controller's declared options.
         */
        public Builder optControllerOption(String name, String value) {
            controllerOptions.put(name, value);
            return this;
        }

        /** Prompts a drafter may use to size itself ({@code auto} options); default one generic story opening. */
        public Builder optCalibrationPrompts(List<String> prompts) {
            this.calibration = List.copyOf(prompts);
            return this;
        }

        /** Where measured cost curves are cached; default {@code $TMPDIR/specdec-cache}. */
        public Builder optCacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /**
         * Loads the model and builds the drafter.
         *
         * @throws IllegalArgumentException for bad values (named), {@link UncheckedIOException} for unreadable files
         */
        public Specdec build() {
            Objects.requireNonNull(modelPath, "the model path is required (setModel)");
            if (drafter == null && !options.isEmpty()) {
                throw new IllegalArgumentException("drafter options " + options.keySet() + " given without a"
                        + " drafter (optDrafter)");
            }
            if (drafter == null && controller != null) {
                throw new IllegalArgumentException("a controller (" + controller + ") needs a drafter (optDrafter)");
            }
            if (controller == null && !controllerOptions.isEmpty()) {
                throw new IllegalArgumentException("controller options " + controllerOptions.keySet() + " given"
                        + " without a controller (optController)");
            }
            if (controller != null) {
                io.specdec.speculation.Controllers.params(controller, controllerOptions); // fail before loading
            }
            GenerationConfig.Builder cb = config == null ? GenerationConfig.builder() : config.toBuilder();
            if (sampling != null) {
                cb.optSampling(sampling);
            }
            if (maxNewTokens != null) {
                cb.optMaxNewTokens(maxNewTokens);
            }
            GenerationConfig cfg = cb.build();
            LoadedModel lm = ModelLoader.load(modelPath);
            if (lm.tokenizer() == null) {
                throw new IllegalArgumentException(modelPath + ": the checkpoint has no tokenizer");
            }
            LlamaModel m = lm.newModel();
            DrafterSetup s = null;
            try {
                if (drafter == null) {
                    return new Specdec(lm, m, null, AutoregressiveGenerator.builder().setModel(m)
                            .setTokenizer(lm.tokenizer()).optConfig(cfg).build());
                }
                DrafterEnvironment env = new DrafterEnvironment(m, lm.tokenizer(), calibration, cacheDir, null);
                s = Drafters.create(drafter, env, options);
                DrafterSetup setup = s;
                SpeculativeDecoder d = Speculation.decoder(m, lm.tokenizer(), s.factory(), cfg)
                        .optControllerFactory(controller == null ? s.controller()
                                : io.specdec.speculation.Controllers.create(controller, controllerOptions,
                                        new io.specdec.speculation.ControllerContext(s, m, cacheDir)))
                        .optMaxDraft(Math.max(16, s.budget())).build();
                return new Specdec(lm, m, setup, d);
            } catch (IOException e) {
                close(s, m);
                throw new UncheckedIOException(e.getMessage(), e);
            } catch (RuntimeException e) {
                close(s, m);
                throw e;
            }
        }

        private static void close(DrafterSetup s, LlamaModel m) {
            try {
                if (s != null) {
                    s.close();
                }
            } finally {
                m.close();
            }
        }
    }
}
