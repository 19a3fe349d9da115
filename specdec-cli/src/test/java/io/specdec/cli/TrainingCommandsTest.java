package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specdec.demo.DemoModels;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.train.SampleFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training workflow end to end through the CLI on the embedded demo (toy sizes, seconds): sample, export-text,
 * train-tokenizer, train-lm, train-draft (with resume and export), the no-{@code --model} demo default of
 * {@code generate}, and one-line errors for bad values.
 */
class TrainingCommandsTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void sampleExportTokenizerLmAndDraft(@TempDir Path dir) throws Exception {
        String target = DemoModels.target().toString();
        Path samples = dir.resolve("s.bin");
        CliRun s = run("sample", "--model", target, "--out", samples.toString(), "--sequences", "8", "--max-new-tokens",
                "40", "--top-k-logits", "4", "--seed", "3");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("8 sequences"), s.out());
        SampleFile.Header h = SampleFile.header(samples);
        assertEquals(512, h.vocab());
        assertEquals(4, h.topK());
        assertEquals(8, SampleFile.read(samples).size());

        Path text = dir.resolve("t.txt");
        CliRun e = run("export-text", "--samples", samples.toString(), "--model", target, "--out", text.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(Files.readString(text).contains("<|endoftext|>"));

        Path tok = dir.resolve("tok.bin");
        CliRun t = run("train-tokenizer", "--text", text.toString(), "--vocab-size", "300", "--min-char-count", "1",
                "--out", tok.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("round trip exact on every document"), t.out());

        Path lm = dir.resolve("lm");
        Path lmFile = dir.resolve("lm.gguf");
        CliRun l = run("train-lm", "--text", text.toString(), "--tokenizer", tok.toString(), "--dim", "32",
                "--model-layers", "1", "--heads", "2", "--context", "64", "--seq-len", "32", "--batch-size", "2",
                "--steps", "6", "--warmup", "1", "--eval-every", "3", "--eval-batches", "1", "--val-fraction", "0.2",
                "--out", lm.toString(), "--export", lmFile.toString(), "--export-dtype", "f16");
        assertEquals(0, l.code(), l.err());
        assertTrue(l.out().contains("trained 6 steps"), l.out());
        LoadedModel small = ModelLoader.load(lmFile);
        assertEquals(300, small.config().vocabSize());
        assertEquals(32, small.config().dim());
        assertEquals("the", small.tokenizer().decode(small.tokenizer().encode("the", false)));

        Path d = dir.resolve("draft");
        String[] draft = {"train-draft", "--target", target, "--samples", samples.toString(), "--layers", "1",
            "--steps", "6", "--warmup", "1", "--eval-every", "3", "--eval-batches", "1", "--batch-size", "2",
            "--seq-len", "16", "--val-fraction", "0.25", "--out", d.toString()};
        CliRun dr = run(draft);
        assertEquals(0, dr.code(), dr.err());
        assertTrue(dr.out().contains("draft: 1 of 4 layers") && dr.out().contains("ratio"), dr.out());
        CliRun again = run(draft);
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already holds a run") && again.err().contains("--resume"), again.err());
        Path prompts = dir.resolve("p.txt");
        Files.writeString(prompts, "Once upon a time\nThe little cat\n");
        java.util.List<String> more = new java.util.ArrayList<>(java.util.List.of(draft));
        more.addAll(java.util.List.of("--resume", "--eval-prompts", prompts.toString(), "--eval-tokens", "8"));
        CliRun resumed = run(more.toArray(new String[0]));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("trained 6 steps"), resumed.out());
        assertTrue(resumed.out().contains("greedy agreement with the target on 2 held-out prompts"), resumed.out());
        // --resume --steps N extends the finished run (what a new user could not do)
        java.util.List<String> longer = new java.util.ArrayList<>(java.util.List.of(draft));
        longer.set(longer.indexOf("--steps") + 1, "8");
        longer.add("--resume");
        CliRun extended = run(longer.toArray(new String[0]));
        assertEquals(0, extended.code(), extended.err());
        assertTrue(extended.out().contains("trained 8 steps"), extended.out());
        LoadedModel best = ModelLoader.load(d.resolve("best.gguf"));
        assertEquals(1, best.config().layers());
    }

    @Test
    void badTrainingValuesAreOneLineErrors(@TempDir Path dir) throws Exception {
        String target = DemoModels.target().toString();
        Path samples = dir.resolve("s.bin");
        assertEquals(0, run("sample", "--model", target, "--out", samples.toString(), "--sequences", "2",
                "--max-new-tokens", "8").code());
        CliRun layers = run("train-draft", "--target", target, "--samples", samples.toString(), "--layers", "9", "--out",
                dir.resolve("x").toString());
        assertEquals(2, layers.code());
        assertTrue(layers.err().contains("--layers must be in 1..4 (the target's layers), found 9"), layers.err());
        CliRun resume = run("train-draft", "--target", target, "--samples", samples.toString(), "--layers", "1",
                "--resume", "--out", dir.resolve("y").toString());
        assertEquals(1, resume.code());
        assertTrue(resume.err().contains("holds no trainer.gguf"), resume.err());
        CliRun dtype = run("train-lm", "--text", "t.txt", "--tokenizer", "t.bin", "--out", dir.toString(),
                "--export-dtype", "q4");
        assertEquals(2, dtype.code());
        assertTrue(dtype.err().contains("--export-dtype must be f32 or f16, found 'q4'"), dtype.err());
        CliRun vocab = run("train-tokenizer", "--text", samples.toString(), "--vocab-size", "100", "--out",
                dir.resolve("t.bin").toString());
        assertTrue(vocab.code() != 0 && vocab.err().startsWith("error: "), vocab.err());
        CliRun heads = run("train-lm", "--text", "t.txt", "--tokenizer", "t.bin", "--out", dir.toString(), "--dim", "30",
                "--heads", "4");
        assertEquals(2, heads.code());
        assertTrue(heads.err().contains("--heads must divide --dim=30, found 4"), heads.err());
    }

    /**
     * Head training on the demo target for a few steps (medusa, hydra, eagle, and the SpecDec++ acceptance head for
     * the demo draft), then decoding with each: every command succeeds, outputs stay identical to plain decoding, and
     * using a head with the wrong draft or drafter is a one-line error.
     */
    @Test
    void headTrainersAndControllersRunEndToEnd(@TempDir Path dir) throws Exception {
        String target = DemoModels.target().toString();
        String draft = DemoModels.draft().toString();
        Path samples = dir.resolve("s.bin");
        assertEquals(0, run("sample", "--model", target, "--out", samples.toString(), "--sequences", "8",
                "--max-new-tokens", "40").code());
        String[] common = {"--target", target, "--samples", samples.toString(), "--steps", "6", "--batch-size", "2",
            "--seq-len", "16", "--warmup", "1", "--eval-every", "3", "--eval-batches", "1"};
        for (String kind : new String[] {"medusa", "hydra", "eagle", "clover"}) {
            Path out = dir.resolve(kind);
            // every registered family trains through train-heads --kind (and train-<kind>)
            String[] cmd = kind.equals("clover") ? new String[] {"train-heads", "--kind", kind}
                    : new String[] {"train-" + kind};
            String[] args = concat(cmd, common, new String[] {"--heads", "2", "--out", out.toString()});
            CliRun r = run(args);
            assertEquals(0, r.code(), kind + ": " + r.err());
            assertTrue(r.out().contains("best validation CE"), r.out());
            CliRun g = run("generate", "--model", target, "--drafter", kind, "--heads", out.resolve("best.gguf")
                    .toString(), "--tree-budget", "4", kind.equals("medusa") ? "--choices" : "--tree-depth",
                    kind.equals("medusa") ? "0;0,0" : "2", "--prompt", "Once upon a time", "--max-tokens", "16",
                    "--compare");
            assertEquals(0, g.code(), kind + ": " + g.err());
            assertTrue(g.err().contains("outputs identical: yes"), g.err());
        }
        // acceptance heads recorded in the decode loop: for the demo draft, and for the EAGLE heads just trained
        Path prompts = dir.resolve("prompts.txt");
        java.nio.file.Files.writeString(prompts, "Once upon a time\nThe little dog\nTom and Lily went\nOne day\n");
        String[] rec = {"--model", target, "--prompts", prompts.toString(), "--max-new-tokens", "24", "--steps", "40",
            "--width", "8", "--blocks", "1"};
        Path acc = dir.resolve("acc.gguf");
        CliRun a = run(concat(new String[] {"train-acceptance-head", "--draft-model", draft}, rec,
                new String[] {"--out", acc.toString()}));
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().contains("AUC of the rejection prediction"), a.out());
        CliRun g = run("generate", "--model", target, "--draft-model", draft, "--k", "6", "--controller",
                "specdec++:0.6", "--acceptance-head", acc.toString(), "--prompt", "Once upon a time", "--max-tokens",
                "16", "--compare");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.err().contains("specdec++(h=0.60)") && g.err().contains("outputs identical: yes"), g.err());
        Path eagleAcc = dir.resolve("eagle-acc.gguf");
        String eagleHeads = dir.resolve("eagle").resolve("best.gguf").toString();
        CliRun ea = run(concat(new String[] {"train-acceptance-head", "--drafter", "eagle", "--heads", eagleHeads,
            "--tree-budget", "4", "--tree-depth", "3"}, rec, new String[] {"--out", eagleAcc.toString()}));
        assertEquals(0, ea.code(), ea.err());
        CliRun eg = run("generate", "--model", target, "--drafter", "eagle", "--heads", eagleHeads, "--tree-budget",
                "4", "--tree-depth", "3", "--controller", "specdec++", "--acceptance-head", eagleAcc.toString(),
                "--prompt", "Once upon a time", "--max-tokens", "16", "--compare");
        assertEquals(0, eg.code(), eg.err());
        assertTrue(eg.err().contains("specdec++(derived h)") && eg.err().contains("outputs identical: yes"),
                eg.err());
        CliRun wrongDrafter = run("generate", "--model", target, "--drafter", "eagle", "--heads", eagleHeads,
                "--controller", "specdec++", "--acceptance-head", acc.toString(), "--prompt", "x", "--max-tokens",
                "2");
        assertEquals(1, wrongDrafter.code(), wrongDrafter.err());
        assertTrue(wrongDrafter.err().contains("the acceptance head was trained for drafter draft-model, not eagle"),
                wrongDrafter.err());
        CliRun noTarget = run("train-acceptance-head", "--drafter", "recycling", "--prompts", prompts.toString(),
                "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, noTarget.code(), noTarget.err());
        assertTrue(noTarget.err().contains("drafter recycling gives no per-token features"), noTarget.err());
        CliRun badOut = run("train-acceptance-head", "--prompts", prompts.toString(), "--out", dir.toString());
        assertEquals(2, badOut.code(), badOut.err());
        assertTrue(badOut.err().contains("--out " + dir + ": not a writable file path"), badOut.err());
        CliRun noHead = run("generate", "--model", target, "--draft-model", draft, "--controller", "specdec++",
                "--prompt", "x", "--max-tokens", "2");
        assertEquals(2, noHead.code());
        assertTrue(noHead.err().contains("controller specdec++ needs --acceptance-head PATH"), noHead.err());
        // the same controller through the library: registry name, short form and a typed option
        int[] plain;
        try (io.specdec.Specdec ar = io.specdec.Specdec.builder().setModel(Path.of(target)).optMaxNewTokens(16)
                .build()) {
            plain = ar.generate("Once upon a time").ids();
        }
        try (io.specdec.Specdec sd = io.specdec.Specdec.builder().setModel(Path.of(target))
                .optDraftModel(Path.of(draft)).optDrafterOption("k", "6").optController("specdec++:0.6")
                .optControllerOption("acceptance-head", acc.toString()).optMaxNewTokens(16)
                .build()) {
            assertEquals("specdec++(h=0.60)", sd.controllerName());
            assertTrue(java.util.Arrays.equals(plain, sd.generate("Once upon a time").ids()),
                    "SpecDec++ through Specdec gives the plain greedy ids");
        }
        CliRun stray = run("generate", "--model", target, "--draft-model", draft, "--threshold", "0.5", "--prompt",
                "x", "--max-tokens", "2");
        assertEquals(2, stray.code());
        assertTrue(stray.err().contains("--threshold does not apply to --controller static (it belongs to controller"
                + " specdec++)"), stray.err());
        CliRun wrongHeads = run("generate", "--model", target, "--drafter", "hydra", "--heads",
                dir.resolve("medusa").resolve("best.gguf").toString(), "--tree-budget", "4", "--tree-depth", "2",
                "--tree-topk", "2", "--prompt", "x", "--max-tokens", "2");
        assertEquals(1, wrongHeads.code());
        assertTrue(wrongHeads.err().contains("holds medusa heads, drafter hydra needs hydra heads"), wrongHeads.err());
    }

    /** What a new user tripped on, each a usage error (exit 2) naming the flag, before anything is loaded. */
    @Test
    void newcomerTrapsAreUsageErrorsNamingTheFlag(@TempDir Path dir) throws Exception {
        Path samples = dir.resolve("none.bin");
        Path router = dir.resolve("router.json");
        new io.specdec.verify.JudgeHead(new float[8], 0f, "test").save(router);
        String[][] cases = {
            {"--threads must be in 1..", "generate", "--threads", "100000", "--max-tokens", "2"},
            {"--warmup must be in 0..49, found 50 (the warm-up must be shorter than --steps)", "train-draft",
                "--samples", samples.toString(), "--out", dir.resolve("d").toString(), "--steps", "50", "--warmup",
                "50"},
            {"--seq-len must be in 1..1048576, found 2147483647", "train-draft", "--samples", samples.toString(),
                "--out", dir.resolve("d").toString(), "--seq-len", "2147483647"},
            {"--kl-weight must be a finite number in [0.0, 1000.0], found Infinity", "train-draft", "--samples",
                samples.toString(), "--out", dir.resolve("d").toString(), "--kl-weight", "Infinity"},
            {"--max-new-tokens must be in 1..16777216", "sample", "--sequences", "1", "--out",
                dir.resolve("s.bin").toString(), "--max-new-tokens", "2147483647"},
            {"--typical-acceptance is an acceptance rule of speculative decoding and needs a drafter", "generate",
                "--model", DemoModels.target().toString(), "--typical-acceptance", "--max-tokens", "2"},
            {"--k (drafter draft-model) must be", "generate", "--k", "0", "--max-tokens", "2"},
            {"--lossy is an acceptance rule of speculative decoding: it needs a drafter", "generate", "--model",
                DemoModels.target().toString(), "--lossy", "lantern", "--max-tokens", "2"},
            {"--lossy lantern relaxes sampled acceptance: give --temperature > 0", "generate", "--lossy", "lantern",
                "--max-tokens", "2"},
            {"--lossy: expected typical[:EPS], lantern[:DELTA], judge[:THRESHOLD] or r2r[:THRESHOLD], found 'bogus'", "generate",
                "--lossy", "bogus", "--max-tokens", "2"},
            {"--lossy judge needs --judge FILE (train-judge)", "generate", "--lossy", "judge", "--max-tokens", "2"},
            {"--lossy r2r needs --router FILE", "generate", "--lossy", "r2r", "--max-tokens", "2"},
            {"--lossy is an acceptance rule of speculative decoding: it needs a drafter", "serve", "--model",
                DemoModels.target().toString(), "--lossy", "typical"},
            {"--lossy judge needs --judge FILE (train-judge)", "serve", "--lossy", "judge"},
            {"--lossy: expected typical[:EPS], lantern[:DELTA], judge[:THRESHOLD] or r2r[:THRESHOLD], found 'x'",
                "serve", "--lossy", "x"},
            {"--lossy r2r drafts until its router routes a token to the target: it is its own stop rule, so drop"
                + " --controller goodput", "generate", "--lossy", "r2r", "--router", router.toString(),
                "--controller", "goodput", "--max-tokens", "2"},
            {"--pipeline: pipeline must be on, off or auto, found 'maybe'", "generate", "--pipeline", "maybe",
                "--max-tokens", "2"},
            {"--pipeline applies to the per-prompt bench, not to --suite or --concurrency", "bench", "--concurrency",
                "1,2", "--pipeline", "on"},
            {"--acceptance-head is a controller option and needs a drafter", "generate", "--model",
                DemoModels.target().toString(), "--acceptance-head", "x.gguf", "--max-tokens", "2"},
            {"--kind is required (medusa, hydra, eagle, clover", "train-heads", "--samples", samples.toString(),
                "--out", dir.resolve("h").toString()},
            {"--kind: unknown head kind 'nope' (medusa, hydra, eagle, clover", "train-heads", "--kind", "nope",
                "--samples", samples.toString(), "--out", dir.resolve("h").toString()},
            {"--kind eagle contradicts train-clover", "train-clover", "--kind", "eagle", "--samples",
                samples.toString(), "--out", dir.resolve("h").toString()},
        };
        for (String[] c : cases) {
            CliRun r = run(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[0]), c[0] + " <- " + r.err());
        }
        // the default warm-up follows --steps: 50 steps no longer trip over a warm-up of 50
        CliRun w = run("train-draft", "--samples", samples.toString(), "--out", dir.resolve("d").toString(),
                "--steps", "50");
        assertTrue(!w.err().contains("warm") && w.err().contains(samples.toString()), w.err());
        // files: missing, a folder, not text — one line naming the file
        CliRun folder = run("bench", "--model", DemoModels.target().toString(), "--drafter",
                "prompt-lookup", "--prompts", dir.toString());
        assertEquals(1, folder.code());
        assertTrue(folder.err().contains(dir + ": is a directory (expected a text file)"), folder.err());
        Path binary = dir.resolve("bin.txt");
        java.nio.file.Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        CliRun notText = run("bench", "--model", DemoModels.target().toString(), "--drafter",
                "prompt-lookup", "--prompts", binary.toString());
        assertTrue(notText.err().contains(binary + ": not UTF-8 text"), notText.err());
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    @Test
    void lossyAndPipelineOptionsRunAndSaySo() {
        CliRun l = run("generate", "--prompt", "Once upon a time", "--max-tokens", "24", "--temperature", "0.8",
                "--seed", "5", "--lossy", "lantern:0.2");
        assertEquals(0, l.code(), l.err());
        assertTrue(l.err().contains("note: --lossy lantern:0.2 is lossy"), l.err());
        CliRun p = run("generate", "--prompt", "Once upon a time", "--max-tokens", "24", "--pipeline", "on",
                "--compare");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.err().contains("lookahead drafts used]"), p.err());
        assertTrue(p.err().contains("outputs identical: yes"), p.err());
    }

    @Test
    void s2dRunsAnExitOfTheNestedDraftLosslessly() {
        for (String exit : new String[] {"auto"}) { // auto: every exit calibrated, the best predicted one runs
            CliRun r = run("generate", "--prompt", "Once upon a time", "--max-tokens", "24", "--drafter", "s2d",
                    "--s2d-draft", DemoModels.draft().toString(), "--s2d-exit", exit, "--compare");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("[speculation with s2d (exit "), r.err());
            assertTrue(r.err().contains("outputs identical: yes"), r.err());
        }
    }

    @Test
    void generateWithoutModelRunsTheDemoSpeculatively() {
        CliRun r = run("generate", "--prompt", "Once upon a time", "--max-tokens", "24", "--compare");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[no --model: the embedded demo story model and its distilled draft"), r.err());
        assertTrue(r.err().contains("[speculation with draft-model"), r.err());
        assertTrue(r.err().contains("outputs identical: yes"), r.err());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
    }
}
