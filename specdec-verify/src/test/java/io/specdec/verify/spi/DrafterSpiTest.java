package io.specdec.verify.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.specdec.engine.SpecdecEngine;
import io.specdec.generate.AutoregressiveGenerator;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.model.ForwardOptions;
import io.specdec.model.ForwardResult;
import io.specdec.model.KvCache;
import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaModel;
import io.specdec.model.LlamaWeights;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.DraftContext;
import io.specdec.speculation.DraftTree;
import io.specdec.speculation.Drafter;
import io.specdec.speculation.OutputRequest;
import io.specdec.speculation.PromptContext;
import io.specdec.speculation.RoundResult;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.tokenizer.SentencePieceBpeTokenizer;
import io.specdec.tokenizer.Tokenizer;
import io.specdec.verify.GreedyAcceptance;
import io.specdec.verify.Speculation;
import io.specdec.verify.TypicalAcceptance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the drafter SPI hands a drafter, checked against independent computations: at prefill and after every round
 * the target's last hidden state and a requested layer's hidden state equal a direct {@code forward} with hidden
 * states over the same tokens (≤ 1e-5); the lent embedding equals the weights' rows and the lent final norm + LM head
 * reproduce the target's logits. And the decoder's policy follows the sampling config.
 */
class DrafterSpiTest {
    private static final LlamaConfig CFG = new LlamaConfig(16, 32, 3, 2, 1, 8, 16, 96, 1e-5f, 10000f, false, false,
            1, 2);

    private static Tokenizer tokenizer() {
        String[] pieces = new String[16];
        for (int i = 0; i < 16; i++) {
            pieces[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : String.valueOf((char) ('a' + i));
        }
        return new SentencePieceBpeTokenizer(pieces, new float[16], null, 1, 2, 0, false);
    }

    /** Proposes the last two tokens again and, at every call, compares what it was given with a direct forward. */
    private static final class ProbeDrafter implements Drafter {
        final LlamaModel reference;
        final LlamaWeights weights;
        final List<Double> diffs = new ArrayList<>();      // hidden states
        final List<Double> logitDiffs = new ArrayList<>(); // logits (larger magnitudes: relative 1e-5 of |logit|)
        int prefillChecks;
        int roundChecks;
        private int[] prompt;
        private final List<Integer> committed = new ArrayList<>();

        ProbeDrafter(LlamaModel reference, LlamaWeights weights) {
            this.reference = reference;
            this.weights = weights;
        }

        @Override
        public OutputRequest targetOutputs() {
            return new OutputRequest(true, new int[] {2});
        }

        @Override
        public void begin(PromptContext p) {
            prompt = p.prompt();
            ForwardResult out = p.promptOutputs();
            int n = prompt.length - 1;
            assertEquals(n, out.rows());
            compare(Arrays.copyOf(prompt, n), out, 0, n);
            // the lent pieces: embedding rows, final norm + LM head
            try (NDManager m = SpecdecEngine.newManager()) {
                NDArray e = p.target().embed(m, new int[] {prompt[0], 5});
                float[] host = e.toFloatArray();
                for (int d = 0; d < CFG.dim(); d++) {
                    assertEquals(weights.embedding()[prompt[0] * CFG.dim() + d], host[d], 1e-7);
                    assertEquals(weights.embedding()[5 * CFG.dim() + d], host[CFG.dim() + d], 1e-7);
                }
                float[] viaHead = p.target().lmHead(out.lastHiddenArray()).toFloatArray();
                logitDiffs.add(maxDiff(out.logits(), viaHead));
                // layer 3 is the last: final norm + head on the residual after it = the logits
            }
            for (int i = 0; i < n; i++) {
                committed.add(prompt[i]); // what the target cache holds: the prompt but its last token
            }
            prefillChecks++;
        }

        @Override
        public DraftTree propose(DraftContext ctx) {
            int k = Math.min(2, ctx.budget());
            return DraftTree.chain(Arrays.copyOfRange(ctx.tokens(), ctx.length() - k, ctx.length()), new float[k][]);
        }

        @Override
        public void observe(RoundResult r) {
            // direct forward over everything committed before the round plus the round's chain rows
            int before = r.layout().prefix();
            int rows = r.layout().rows();
            int[] seq = new int[before + rows];
            for (int i = 0; i < before; i++) {
                seq[i] = committed.get(i);
            }
            System.arraycopy(r.layout().tokens(), 0, seq, before, rows);
            compare(seq, r.outputs(), before, rows);
            for (int i = 0; i < r.accepted(); i++) {
                assertArrayEquals(r.lastHiddenAt(r.acceptedNode(i)), r.outputs().lastHiddenRow(r.layout()
                        .row(r.acceptedNode(i))));
            }
            assertEquals(before, committed.size(), "the layout starts where the cache ends");
            // the cache keeps the root and the accepted tokens (the bonus token is the next root)
            committed.add(r.root());
            for (int i = 0; i < r.accepted(); i++) {
                committed.add(r.tokenAt(r.acceptedNode(i)));
            }
            roundChecks++;
        }

        /** Rows [from, from+rows) of a direct forward of {@code seq} against {@code got}'s rows. */
        private void compare(int[] seq, ForwardResult got, int from, int rows) {
            try (KvCache c = reference.newCache(seq.length)) {
                ForwardResult ref = reference.forward(c, seq, ForwardOptions.DEFAULT.withLastHidden()
                        .withHiddenLayers(2));
                int d = CFG.dim();
                diffs.add(maxDiff(Arrays.copyOfRange(ref.lastHidden(), from * d, (from + rows) * d), got.lastHidden()));
                diffs.add(maxDiff(Arrays.copyOfRange(ref.layerHidden(0), from * d, (from + rows) * d),
                        got.layerHidden(0)));
                int v = CFG.vocabSize();
                logitDiffs.add(maxDiff(Arrays.copyOfRange(ref.logits(), from * v, (from + rows) * v), got.logits()));
            }
        }

        @Override
        public int vocabSize() {
            return CFG.vocabSize();
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "shapes differ");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void drafterSeesTheTargetsHiddenStatesAtPrefillAndEveryRound() {
        LlamaWeights w = LlamaWeights.random(CFG, 7, 0.3f);
        try (LlamaModel target = new LlamaModel(w); LlamaModel reference = new LlamaModel(w)) {
            ProbeDrafter probe = new ProbeDrafter(reference, w);
            GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(30).optStopAtEos(false).build();
            SpeculativeDecoder d = Speculation.decoder(target, tokenizer(), () -> probe, cfg).build();
            GenerationResult r = d.start(new int[] {1, 5, 7, 5, 7}).result();
            assertEquals(30, r.ids().length);
            assertEquals(1, probe.prefillChecks);
            assertTrue(probe.roundChecks >= 5, probe.roundChecks + " rounds checked");
            double worst = probe.diffs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertTrue(worst <= 1e-5, "hidden states: max |difference| " + worst);
            double worstLogit = probe.logitDiffs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertTrue(worstLogit <= 1e-4, "logits: max |difference| " + worstLogit);
            System.out.printf("[spi] %d prefill + %d round checks: hidden max |diff| %.2e, logits %.2e%n",
                    probe.prefillChecks, probe.roundChecks, worst, worstLogit);
            GenerationResult ar = AutoregressiveGenerator.builder().setModel(target).setTokenizer(tokenizer())
                    .optConfig(cfg).build().start(new int[] {1, 5, 7, 5, 7}).result();
            assertArrayEquals(ar.ids(), r.ids(), "the probe is lossless too");
            String stats = r.speculation().toString();
            assertTrue(stats.contains("rounds, τ ") && stats.contains("acceptance") && !stats.contains("[D@"), stats);
        }
    }

    /** Proposes a fixed chain and reads none of the target's outputs. */
    private static final class ChainDrafter implements Drafter {
        @Override
        public void begin(PromptContext p) {}

        @Override
        public DraftTree propose(DraftContext ctx) {
            int[] toks = new int[Math.min(4, ctx.budget())];
            for (int i = 0; i < toks.length; i++) {
                toks[i] = 3 + i;
            }
            return DraftTree.chain(toks, new float[toks.length][]);
        }

        @Override
        public int vocabSize() {
            return 16;
        }
    }

    /**
     * A factory that hands out one drafter instance to two live requests (against the factory contract) is caught at
     * the second request with a clear error; the instance is free again once the first request ends.
     */
    @Test
    void aDrafterServingAnotherRequestIsRefused() {
        LlamaWeights w = LlamaWeights.random(CFG, 7, 0.3f);
        try (LlamaModel target = new LlamaModel(w)) {
            GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(8).optStopAtEos(false).build();
            ChainDrafter shared = new ChainDrafter();
            SpeculativeDecoder d = Speculation.decoder(target, tokenizer(), () -> shared, cfg).build();
            try (io.specdec.generate.Generation first = d.start(new int[] {1, 5, 7})) {
                first.next();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> d.start(new int[] {1, 5, 7}));
                assertTrue(e.getMessage().contains("the factory must make a new one per request"), e.getMessage());
            }
            try (io.specdec.generate.Generation again = d.start(new int[] {1, 5, 7})) {
                assertEquals(8, again.result().ids().length, "free again after the first request closed");
            }
        }
    }

    /**
     * Round outputs stay where the kernel computed them: a greedy round brings only the argmax ids of its rows to the
     * host (one copy per round; the issue's bound is two), for either kernel (the vector kernel computes logits on
     * the host and copies nothing), while sampled rounds copy the logit rows.
     */
    @Test
    void aGreedyRoundCopiesOnlyArgmaxIdsToTheHost() {
        LlamaWeights w = LlamaWeights.random(CFG, 7, 0.3f);
        for (String kernel : io.specdec.model.Kernels.vectorAvailable() ? List.of("torch", "vector")
                : List.of("torch")) {
            try (LlamaModel target = new LlamaModel(w, kernel)) {
                GenerationConfig cfg = GenerationConfig.builder().optMaxNewTokens(40).optStopAtEos(false).build();
                SpeculativeDecoder d = Speculation.decoder(target, tokenizer(), ChainDrafter::new, cfg).build();
                long before = ForwardResult.hostCopies();
                GenerationResult r = d.start(new int[] {1, 5, 7, 5, 7}).result();
                long copies = ForwardResult.hostCopies() - before;
                long rounds = r.speculation().rounds();
                assertTrue(rounds >= 8, rounds + " rounds");
                assertTrue(copies <= 2 * rounds, kernel + ": " + copies + " host copies in " + rounds + " rounds");
                assertEquals(kernel.equals("torch") ? rounds : 0, copies, kernel + ": copies per greedy round");
                GenerationResult ar = AutoregressiveGenerator.builder().setModel(target).setTokenizer(tokenizer())
                        .optConfig(cfg).build().start(new int[] {1, 5, 7, 5, 7}).result();
                assertArrayEquals(ar.ids(), r.ids(), kernel + ": greedy output equals AR");
                GenerationConfig hot = GenerationConfig.builder().optMaxNewTokens(20).optStopAtEos(false)
                        .optSampling(SamplingConfig.builder().optTemperature(0.8f).build()).build();
                long before2 = ForwardResult.hostCopies();
                GenerationResult sampled = Speculation.decoder(target, tokenizer(), ChainDrafter::new, hot).build()
                        .start(new int[] {1, 5, 7, 5, 7}).result();
                long copies2 = ForwardResult.hostCopies() - before2;
                assertEquals(kernel.equals("torch") ? sampled.speculation().rounds() : 0, copies2,
                        kernel + ": a sampled round copies its logit rows once");
            }
        }
    }

    @Test
    void policyFollowsTheSamplingConfigAndLossyNeedsANamedOptIn() {
        LlamaWeights w = LlamaWeights.random(CFG, 7, 0.3f);
        try (LlamaModel target = new LlamaModel(w)) {
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(4).build();
            GenerationConfig hot = GenerationConfig.builder().optMaxNewTokens(4)
                    .optSampling(SamplingConfig.builder().optTemperature(0.8f).build()).build();
            // preset built for greedy, config replaced afterwards: the policy follows the final config
            SpeculativeDecoder d = Speculation.decoder(target, tokenizer(), () -> new ProbeDrafter(target, w), greedy)
                    .optConfig(hot).build();
            assertEquals("rejection-sampling", d.policy().name());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Speculation.decoder(
                    target, tokenizer(), () -> new ProbeDrafter(target, w), hot).optPolicy(new GreedyAcceptance())
                    .build());
            assertTrue(e.getMessage().contains("cannot keep"), e.getMessage());
            TypicalAcceptance typical = new TypicalAcceptance(0.09f, 0.3f, true);
            e = assertThrows(IllegalArgumentException.class, () -> Speculation.decoder(target, tokenizer(),
                    () -> new ProbeDrafter(target, w), hot).optPolicy(typical).build());
            assertTrue(e.getMessage().contains("optLossyPolicy"), e.getMessage());
            assertEquals(typical, Speculation.decoder(target, tokenizer(), () -> new ProbeDrafter(target, w), hot)
                    .optLossyPolicy(typical).build().policy());
        }
    }
}
