package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.testing.SharedAssets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The command-line tool end to end (in-process): JSON output, streaming text, inspect, and one-line errors. */
class MainTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void generateJsonReproducesGoldenGreedy() {
        String model = SharedAssets.require("models/stories260K.gguf").toString();
        SharedAssets.Golden g = SharedAssets.golden("stories260K-greedy.jsonl").get(1);
        CliRun r = run("generate", "--model", model, "--prompt", g.prompt(), "--max-tokens", "40", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        int[] ids = o.getAsJsonArray("ids").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
        int[] expected = Arrays.copyOfRange(g.ids(), g.promptIds().length, g.promptIds().length + 40);
        assertArrayEquals(expected, ids);
        int[] promptIds = o.getAsJsonArray("prompt_ids").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
        assertArrayEquals(g.promptIds(), promptIds);
        JsonObject stats = o.getAsJsonObject("stats");
        assertEquals(40, stats.get("tokens").getAsInt());
        assertTrue(stats.get("tokens_per_s").getAsDouble() > 0);
        assertTrue(stats.get("seconds").getAsDouble() > 0);
        assertTrue(r.err().contains("loaded stories260K.gguf"), "progress on stderr");
    }

    @Test
    void generateStreamsTextAndStats() {
        String model = SharedAssets.require("models/stories260K.bin").toString();
        CliRun r = run("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "20",
                "--temperature", "0.8", "--top-p", "0.9", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
        assertTrue(r.err().contains("20 generated"), r.err());
        assertTrue(r.err().contains("tokens/s"), r.err());
    }

    @Test
    void speculativeGenerateMatchesAutoregressiveAndReportsStats() {
        String model = SharedAssets.storyModels().target().toString();
        String draft = SharedAssets.storyModels().draft().toString();
        CliRun ar = run("generate", "--model", model, "--prompt", "Lily and Ben were", "--max-tokens", "64", "--json");
        CliRun sp = run("generate", "--model", model, "--prompt", "Lily and Ben were", "--max-tokens", "64", "--json",
                "--drafter", "draft-model", "--draft-model", draft, "--k", "4");
        assertEquals(0, sp.code(), sp.err());
        JsonObject a = JsonParser.parseString(ar.out().trim()).getAsJsonObject();
        JsonObject s = JsonParser.parseString(sp.out().trim()).getAsJsonObject();
        assertEquals(a.get("ids"), s.get("ids"), "speculative greedy = AR greedy");
        JsonObject st = s.getAsJsonObject("stats");
        for (String k : new String[] {"rounds", "drafted", "accepted", "tau", "acceptance_rate"}) {
            assertTrue(st.has(k), "stats has " + k);
        }
        assertTrue(st.get("tau").getAsDouble() > 1.0);
        CliRun tree = run("generate", "--model", model, "--prompt", "Lily and Ben were", "--max-tokens", "64", "--json",
                "--drafter", "draft-model", "--draft-model", draft, "--tree-budget", "8");
        assertEquals(a.get("ids"), JsonParser.parseString(tree.out().trim()).getAsJsonObject().get("ids"));
        for (String[] auto : new String[][] {{"--k", "auto"}, {"--tree-budget", "auto"}}) {
            CliRun sized = run("generate", "--model", model, "--prompt", "Lily and Ben were", "--max-tokens", "64",
                    "--json", "--drafter", "draft-model", "--draft-model", draft, auto[0], auto[1]);
            assertEquals(0, sized.code(), sized.err());
            assertTrue(sized.err().contains(auto[0].equals("--k") ? "sized chain: " : "sized tree: "), sized.err());
            assertEquals(a.get("ids"), JsonParser.parseString(sized.out().trim()).getAsJsonObject().get("ids"));
        }
        CliRun bad = run("generate", "--model", model, "--drafter", "draft-model");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("needs --draft-model PATH"), bad.err());
    }

    @Test
    void trainingFreeDraftersMatchAutoregressiveAndTheMatrixPersists(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) {
        String model = SharedAssets.storyModels().target().toString();
        CliRun ar = run("generate", "--model", model, "--prompt", "The little dog", "--max-tokens", "48", "--json");
        String matrix = dir.resolve("m.bin").toString();
        String[][] variants = {
            {"--drafter", "recycling", "--recycling-matrix", matrix},
            {"--drafter", "recycling", "--recycling-matrix", matrix, "--template", "3,2"},
            {"--drafter", "prompt-lookup", "--lookup-matches", "2"},
            {"--drafter", "hybrid", "--hybrid-budget", "16"},
            {"--drafter", "del", "--exit-layer", "3"},
            {"--drafter", "del"}};
        for (String[] v : variants) {
            String[] args = new String[7 + v.length];
            System.arraycopy(new String[] {"generate", "--model", model, "--prompt", "The little dog", "--max-tokens",
                "48"}, 0, args, 0, 7);
            System.arraycopy(v, 0, args, 7, v.length);
            args = java.util.Arrays.copyOf(args, args.length + 1);
            args[args.length - 1] = "--json";
            CliRun r = run(args);
            assertEquals(0, r.code(), String.join(" ", v) + ": " + r.err());
            JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
            assertEquals(JsonParser.parseString(ar.out().trim()).getAsJsonObject().get("ids"), o.get("ids"),
                    String.join(" ", v) + " must equal AR greedy");
        }
        assertTrue(java.nio.file.Files.exists(dir.resolve("m.bin")), "the recycling matrix is saved");
        CliRun bad = run("generate", "--model", model, "--drafter", "del", "--exit-layer", "9");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("exit layer"), bad.err());
    }

    @Test
    void benchWritesReportsWithAllControllers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String model = SharedAssets.storyModels().target().toString();
        String draft = SharedAssets.storyModels().draft().toString();
        java.nio.file.Path prompts = dir.resolve("p.txt");
        java.nio.file.Files.writeString(prompts, "Once upon a time\nThe little dog\n");
        java.nio.file.Path report = dir.resolve("r.md");
        CliRun r = run("bench", "--model", model, "--drafter", "draft-model", "--draft-model", draft, "--prompts",
                prompts.toString(), "--max-tokens", "32", "--controller", "all", "--warmup", "1", "--report",
                report.toString());
        assertEquals(0, r.code(), r.err());
        String md = java.nio.file.Files.readString(report);
        for (String c : new String[] {"static(4)", "heuristic", "confidence", "goodput"}) {
            assertTrue(md.contains(c), "report lists " + c);
        }
        assertTrue(md.contains("2/2"), "greedy-identical column: " + md);
        assertTrue(java.nio.file.Files.exists(dir.resolve("r.json")));
    }

    @Test
    void benchConcurrencyBatchesAndKeepsEveryOutput() {
        String model = io.specdec.demo.DemoModels.target().toString();
        String draft = io.specdec.demo.DemoModels.draft().toString();
        CliRun r = run("bench", "--model", model, "--drafter", "draft-model", "--draft-model", draft,
                "--concurrency", "1,4", "--max-tokens", "12", "--limit", "4");
        assertEquals(0, r.code(), r.err());
        String[] rows = r.out().lines().filter(l -> l.startsWith("| AR |") || l.startsWith("| draft-model |"))
                .toArray(String[]::new);
        assertEquals(4, rows.length, r.out());
        for (String row : rows) {
            String b = row.split("\\|")[2].trim();
            assertTrue(row.endsWith("| " + b + " of " + b + " |"), "every output identical to alone: " + row);
        }
        CliRun bad = run("bench", "--model", model, "--concurrency", "0");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--concurrency: each B must be in 1..256, found 0"), bad.err());
    }

    @Test
    void convertInflateWritesATwinWithTheSameGreedyOutput(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String model = SharedAssets.require("models/stories260K.gguf").toString();
        String twin = dir.resolve("twin.gguf").toString();
        CliRun c = run("convert", "inflate", "--model", model, "--shape", "128,8,4,16,256,6", "--out", twin);
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("wrote"), c.out());
        CliRun a = run("generate", "--model", model, "--prompt", "Tom had a big red ball. He", "--max-tokens", "32",
                "--json");
        CliRun b = run("generate", "--model", twin, "--prompt", "Tom had a big red ball. He", "--max-tokens", "32",
                "--json");
        assertEquals(0, b.code(), b.err());
        assertEquals(JsonParser.parseString(a.out().trim()).getAsJsonObject().get("ids"),
                JsonParser.parseString(b.out().trim()).getAsJsonObject().get("ids"), "twin greedy = original greedy");
        CliRun bad = run("convert", "inflate", "--model", model, "--shape", "64,8,8,8,172,5", "--out", twin);
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("GQA ratio"), bad.err());
    }

    @Test
    void inspectListsMetadataAndTensors() {
        CliRun r = run("inspect", SharedAssets.require("models/stories260K.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("GGUF v3"));
        assertTrue(r.out().contains("llama.embedding_length = 64"));
        assertTrue(r.out().contains("blk.4.ffn_down.weight"));
        CliRun hf = run("inspect", SharedAssets.require("models/stories260K-hf-bf16-sharded").toString());
        assertEquals(0, hf.code(), hf.err());
        assertTrue(hf.out().contains("BF16"));
    }

    @Test
    void errorsAreOneLineWithoutStackTraces() {
        CliRun r = run("generate", "--model", "/nonexistent/model.gguf");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("/nonexistent/model.gguf"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
        CliRun u = run("generate", "--model", "x", "--bogus", "1");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("Unknown options: '--bogus'"), u.err());
        CliRun n = run("generate", "--model", "x", "--max-tokens", "many");
        assertEquals(2, n.code());
        assertTrue(n.err().contains("'--max-tokens'") && n.err().contains("'many' is not an int"), n.err());
    }

    @Test
    void misusesAreWorkingOrOneLineErrors() {
        String model = SharedAssets.storyModels().target().toString();
        String draft = SharedAssets.storyModels().draft().toString();
        // --draft-model alone selects the draft-model drafter (llama.cpp's -md)
        CliRun md = run("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "24",
                "--draft-model", draft);
        assertEquals(0, md.code(), md.err());
        assertTrue(md.err().contains("[speculation with draft-model"), md.err());
        assertTrue(md.err().contains("τ = "), "stats explained in words: " + md.err());
        // --k without a drafter is an error, not silently plain decoding
        CliRun k = run("generate", "--model", model, "--k", "4");
        assertEquals(2, k.code());
        assertTrue(k.err().contains("--k is an option of") && k.err().contains("--drafter"), k.err());
        // an option of another drafter
        CliRun other = run("generate", "--model", model, "--drafter", "prompt-lookup", "--template", "paper");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("--template does not apply to drafter prompt-lookup"), other.err());
        CliRun unknown = run("generate", "--model", model, "--drafter", "nope");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown drafter 'nope'") && unknown.err().contains("recycling"),
                unknown.err());
        // per-command help and version
        CliRun help = run("generate", "--help");
        assertEquals(0, help.code());
        for (String opt : new String[] {"--model", "--draft-model", "--template", "--lookup-max", "--exit-layer",
            "--repeat-n", "--compare"}) {
            assertTrue(help.out().contains(opt), "generate --help lists " + opt);
        }
        CliRun version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("specdec "), version.out());
        // --threads 0: a usage error, no stack trace
        CliRun threads = run("generate", "--model", model, "--threads", "0");
        assertEquals(2, threads.code());
        assertTrue(threads.err().contains("--threads must be in 1.."), threads.err());
        assertFalse(threads.err().contains("\tat "), threads.err());
        // recycling templates are bounded
        for (String t : new String[] {"1000,1000", "0,0", "-1,2", "8,8"}) {
            CliRun huge = run("generate", "--model", model, "--drafter", "recycling", "--template", t);
            assertEquals(1, huge.code(), t);
            assertTrue(huge.err().contains(t.equals("8,8") ? "at most 1024 are verified" : "DEPTH, WIDTH <= 16"),
                    huge.err());
        }
        CliRun dev = run("generate", "--model", "/dev/zero");
        assertEquals(1, dev.code());
        assertTrue(dev.err().contains("/dev/zero: not a regular file"), dev.err());
        CliRun temp = run("generate", "--model", model, "--temperature", "1.4e-45");
        assertEquals(2, temp.code());
        assertTrue(temp.err().contains("temperature must be 0 (greedy) or >= 0.001"), temp.err());
        // errors on their own line, after the progress bar's line
        CliRun missing = run("generate", "--model", model, "--draft-model", "/nonexistent/d.gguf");
        assertEquals(1, missing.code());
        String last = missing.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("error: ") && last.contains("/nonexistent/d.gguf"), missing.err());
    }

    @Test
    void soakReportsHeapAndNativeMemorySeparately() {
        String model = SharedAssets.storyModels().target().toString();
        CliRun r = run("soak", "--model", model, "--generations", "20", "--max-tokens", "16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("native memory (RSS - committed heap - JVM non-heap)") && r.out().contains("Java heap: used"),
                r.out());
        CliRun bad = run("soak", "--model", model, "--generations", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--generations and --max-tokens must be >= 1"), bad.err());
    }

    @Test
    void compareRunsPlainDecodingAndReportsTheSpeedup() {
        String model = SharedAssets.storyModels().target().toString();
        String draft = SharedAssets.storyModels().draft().toString();
        CliRun r = run("generate", "--model", model, "--prompt", "The little dog", "--max-tokens", "32", "--draft-model",
                draft, "--compare");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[plain decoding of the same prompt: 32 tokens"), r.err());
        assertTrue(r.err().contains("speedup") && r.err().contains("outputs identical: yes"), r.err());
        CliRun j = run("generate", "--model", model, "--prompt", "The little dog", "--max-tokens", "32", "--draft-model",
                draft, "--compare", "--json");
        JsonObject o = JsonParser.parseString(j.out().trim()).getAsJsonObject();
        assertTrue(o.get("identical").getAsBoolean());
        assertTrue(o.get("speedup").getAsDouble() > 0);
    }

    @Test
    void aDrafterRegisteredOnlyInTestCodeWorksInGenerateAndBench(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        String model = SharedAssets.storyModels().target().toString();
        CliRun ar = run("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "40", "--json");
        CliRun sp = run("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "40", "--json",
                "--drafter", "repeat-last", "--repeat-n", "3");
        assertEquals(0, sp.code(), sp.err());
        JsonObject a = JsonParser.parseString(ar.out().trim()).getAsJsonObject();
        JsonObject s = JsonParser.parseString(sp.out().trim()).getAsJsonObject();
        assertEquals(a.get("ids"), s.get("ids"));
        assertTrue(s.getAsJsonObject("stats").get("drafted").getAsInt() > 0);
        java.nio.file.Path prompts = dir.resolve("p.txt");
        java.nio.file.Files.writeString(prompts, "Once upon a time\n");
        CliRun b = run("bench", "--model", model, "--drafter", "repeat-last,prompt-lookup", "--prompts",
                prompts.toString(), "--max-tokens", "16", "--warmup", "1", "--report", dir.resolve("r.md").toString());
        assertEquals(0, b.code(), b.err());
        String md = java.nio.file.Files.readString(dir.resolve("r.md"));
        assertTrue(md.contains("repeat-last last 3 tokens") || md.contains("repeat-last last 2 tokens"), md);
        assertFalse(md.contains(dir.getParent().toString()), "no absolute paths in the report");
    }
}
