package io.specdec.generate;

import io.specdec.model.CausalLM;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.sampling.TokenSampler;
import io.specdec.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Plain autoregressive decoding: one target forward per generated token. This is the reference every speculative
 * configuration must reproduce (greedy: identical tokens; sampling: identical distribution).
 *
 * <pre>{@code
 * AutoregressiveGenerator gen = AutoregressiveGenerator.builder()
 *         .setModel(model).setTokenizer(tokenizer)
 *         .optConfig(GenerationConfig.builder().optMaxNewTokens(64).build())
 *         .build();
 * GenerationResult r = gen.generate("Once upon a time");
 * }</pre>
 *
 * Thread safety: the generator is immutable; each call creates its own cache, so calls may run concurrently.
 */
public final class AutoregressiveGenerator implements TextGenerator {
    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final GenerationConfig config;

    private AutoregressiveGenerator(Builder b) {
        this.model = Objects.requireNonNull(b.model, "model is required (setModel)");
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer is required (setTokenizer)");
        this.config = b.config;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public GenerationConfig config() {
        return config;
    }

    @Override
    public Generation start(int[] promptIds) {
        int[] p = promptIds.clone();
        return new Generation(tokenizer, p, config, () -> new ArStep(model, p, config));
    }

    /**
     * Checks that a prompt fits the context and returns the cache capacity a request needs:
     * {@code min(context, prompt + maxNewTokens)}.
     */
    public static int cacheCapacity(CausalLM model, int promptLength, int maxNewTokens) {
        int ctx = model.config().contextLength();
        if (promptLength == 0) {
            throw new IllegalArgumentException("empty prompt: at least one token (e.g. BOS) is needed");
        }
        if (promptLength > ctx) {
            throw new IllegalArgumentException("prompt has " + promptLength + " tokens but the model's context holds "
                    + ctx);
        }
        return (int) Math.min(ctx, (long) promptLength + maxNewTokens);
    }

    /** One token per call; the forward for a token runs lazily at the next call, so none is wasted at the end. */
    static final class ArStep implements DecodeStep {
        private final CausalLM model;
        private final KvCache cache;
        private final TokenSampler sampler;
        private int[] history;
        private int length;
        private float[] logits;
        private int pending = -1;
        private final boolean keepLogits;
        private float[] lastRow;

        ArStep(CausalLM model, int[] prompt, GenerationConfig cfg) {
            this.model = model;
            this.cache = model.newCache(cacheCapacity(model, prompt.length, cfg.maxNewTokens()));
            this.sampler = new TokenSampler(cfg.sampling());
            this.history = Arrays.copyOf(prompt, prompt.length + 64);
            this.length = prompt.length;
            this.keepLogits = cfg.logprobs() > 0;
            try {
                ForwardResult r = model.forward(cache, prompt, ForwardOptions.LAST_ROW);
                logits = r.row(r.rows() - 1);
            } catch (RuntimeException e) {
                cache.close();
                throw e;
            }
        }

        @Override
        public int[] next(int max) {
            if (pending >= 0) {
                if (cache.remaining() == 0) {
                    return new int[0];
                }
                ForwardResult r = model.forward(cache, new int[] {pending}, ForwardOptions.LAST_ROW);
                logits = r.logits();
            }
            if (keepLogits) {
                lastRow = logits.clone();
            }
            int id = sampler.next(logits, history, length);
            if (length == history.length) {
                history = Arrays.copyOf(history, length * 2);
            }
            history[length++] = id;
            pending = id;
            return new int[] {id};
        }

        @Override
        public float[][] lastLogits() {
            return lastRow == null ? null : new float[][] {lastRow};
        }

        @Override
        public void close() {
            cache.close();
        }
    }

    /** Builder: {@code set*} for required, {@code opt*} for optional fields. */
    public static final class Builder {
        private CausalLM model;
        private Tokenizer tokenizer;
        private GenerationConfig config = GenerationConfig.defaults();

        public Builder setModel(CausalLM m) {
            this.model = m;
            return this;
        }

        public Builder setTokenizer(Tokenizer t) {
            this.tokenizer = t;
            return this;
        }

        /** Limits and sampling; default {@link GenerationConfig#defaults()}. */
        public Builder optConfig(GenerationConfig c) {
            this.config = c;
            return this;
        }

        public AutoregressiveGenerator build() {
            return new AutoregressiveGenerator(this);
        }
    }
}
