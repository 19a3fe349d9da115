package io.specdec.examples;

import io.specdec.Specdec;
import io.specdec.drafters.draftmodel.DraftModelDrafter;
import io.specdec.generate.GeneratedToken;
import io.specdec.generate.Generation;
import io.specdec.generate.GenerationConfig;
import io.specdec.generate.GenerationResult;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.LlamaModel;
import io.specdec.sampling.SamplingConfig;
import io.specdec.speculation.LengthControllers;
import io.specdec.speculation.SpeculativeDecoder;
import io.specdec.verify.Speculation;
import java.nio.file.Path;

/** The examples of docs/USER_GUIDE.md, each between GUIDE markers; compiled and run by {@code UserGuideTest}. */
final class UserGuideExamples {
    private UserGuideExamples() {}

    static GenerationResult draftModelTree(Path model, Path draft) {
        // GUIDE-START draft-model
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("draft-model")
                .optDrafterOption("draft-model", draft.toString())
                .optDrafterOption("tree-budget", "8")     // a tree of 8 nodes per round (0 = chain of --k)
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END draft-model
    }

    static GenerationResult eagle(Path model, Path heads) {
        // GUIDE-START eagle
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("eagle")                      // EAGLE-style feature drafter (docs/HEADS.md)
                .optDrafterOption("heads", heads.toString())
                .optDrafterOption("tree-budget", "16")    // leave the shape options out to size the tree
                .optDrafterOption("tree-depth", "6")
                .optDrafterOption("tree-topk", "3")
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END eagle
    }

    static GenerationResult specdecPlusPlus(Path model, Path heads, Path acceptanceHead) {
        // GUIDE-START specdecpp
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("eagle")
                .optDrafterOption("heads", heads.toString())
                .optController("specdec++")               // drop branches the acceptance head predicts are rejected
                .optControllerOption("acceptance-head", acceptanceHead.toString())
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END specdecpp
    }

    static GenerationResult recycling(Path model) {
        // GUIDE-START recycling
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("recycling")                  // Token Recycling, the paper's 80-node template
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END recycling
    }

    static GenerationResult promptLookup(Path model) {
        // GUIDE-START prompt-lookup
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("prompt-lookup")
                .optDrafterOption("lookup-matches", "2")  // merge two matches into a tree
                .optMaxNewTokens(64).build()) {
            return lm.generate("Tom had a red ball. Tom had a red ball. Tom had");
        }
        // GUIDE-END prompt-lookup
    }

    static GenerationResult hybrid(Path model) {
        // GUIDE-START hybrid
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("hybrid")                     // prompt lookup first, then Token Recycling
                .optDrafterOption("hybrid-budget", "24")
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END hybrid
    }

    static GenerationResult earlyExit(Path model) {
        // GUIDE-START del
        try (Specdec lm = Specdec.builder().setModel(model)
                .optDrafter("del")                        // DEL: the target's first layers draft
                .optDrafterOption("exit-confidence", "0.2")
                .optMaxNewTokens(64).build()) {
            return lm.generate("Once upon a time");
        }
        // GUIDE-END del
    }

    static String sampledStreaming(Path model, Path draft) {
        // GUIDE-START streaming
        StringBuilder text = new StringBuilder();
        try (Specdec lm = Specdec.builder().setModel(model).optDraftModel(draft)
                .optSampling(SamplingConfig.builder().optTemperature(0.8f).optTopP(0.95f).optSeed(7).build())
                .optMaxNewTokens(200).build();
                Generation g = lm.start("Lily and Ben were")) {
            while (g.hasNext()) {
                GeneratedToken t = g.next();
                text.append(t.text());
                if (text.toString().contains(".")) {
                    g.cancel();                           // stop after the first sentence
                }
            }
        }
        return text.toString();
        // GUIDE-END streaming
    }

    static GenerationResult lowLevel(Path model, Path draft) {
        // GUIDE-START low-level
        LoadedModel target = ModelLoader.load(model);
        LoadedModel small = ModelLoader.load(draft);
        try (LlamaModel t = new LlamaModel(target.weights());
                LlamaModel d = new LlamaModel(DraftModelDrafter.forContext(small.weights(),
                        target.config().contextLength(), "draft"))) {
            GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(64).build();
            SpeculativeDecoder decoder = Speculation.decoder(t, target.tokenizer(),
                    DraftModelDrafter.builder().setModel(d).optTokenizer(small.tokenizer()).build(), config)
                    .optController(LengthControllers.goodput(8))   // adaptive K, at most 8
                    .build();
            return decoder.generate("Once upon a time");
        }
        // GUIDE-END low-level
    }
}
