package io.specdec.cli.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.specdec.io.LoadedModel;
import io.specdec.io.ModelLoader;
import io.specdec.model.Inflation;
import io.specdec.model.LlamaModel;
import io.specdec.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The suite end to end on the real stories260K (1 prompt per workload, 12 tokens: a smoke run of the whole pipeline,
 * not a measurement), and a cost twin built, cached and checked against its original.
 */
class SuiteTest {
    @TempDir
    Path tmp;

    @Test
    void suiteRunsEveryCellAndWritesReportJsonAndCharts() throws Exception {
        SharedAssets.require("models/stories260K.gguf");
        Suite.Options o = new Suite.Options("test", List.of("stories260K"), Suite.WORKLOADS, Suite.DECODINGS, 1, 12,
                1, SharedAssets.root(), tmp.resolve("cache"), List.of(), List.of("typical:0.09", "lantern:0.15",
                "r2r:0.5"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Suite s = new Suite(o, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        int presets = io.specdec.speculation.Drafters.providers().stream().mapToInt(p -> p.suitePresets().size()).sum();
        assertEquals(19, presets, "13 shipped configurations (4 of them head drafters), 5 of them again under"
                + " SpecDec++, + the test-only repeat-last drafter alone and under the test-only depth-cap controller");
        long configs = s.cells().stream().map(Suite.Cell::config).distinct().count();
        assertEquals(18, configs, "every preset but medusa under SpecDec++ (no acceptance head is committed for it)");
        assertEquals(configs * 2 * 2, s.cells().size(), "configurations x 2 workloads x 2 decodings");
        for (String spp : List.of("draft chain specdec++", "eagle specdec++", "hydra specdec++",
                "clover specdec++")) {
            assertTrue(s.cells().stream().anyMatch(c -> c.config().equals(spp)), spp + " runs in the suite");
        }
        assertTrue(s.cells().stream().anyMatch(c -> c.config().equals("repeat-last depth-cap")),
                "a controller registered in test code runs in the suite");
        assertTrue(s.cells().stream().anyMatch(c -> c.config().equals("repeat-last")),
                "a drafter registered in test code runs in the suite");
        for (String head : List.of("medusa", "hydra", "eagle", "clover")) {
            assertTrue(s.cells().stream().anyMatch(c -> c.config().equals(head)), "the committed " + head
                    + " heads run in the suite");
        }
        for (Suite.Cell c : s.cells()) {
            assertEquals(1, c.runs().size());
            assertTrue(c.summary().tau() >= 1.0, c + ": every round emits at least one token");
            assertTrue(c.summary().speedupMedian() > 0);
            if (c.decoding().equals("greedy")) {
                assertEquals(1, c.summary().identical(), c.target() + "/" + c.workload() + "/" + c.config()
                        + ": greedy speculative output must equal AR");
            }
        }
        Suite.TargetInfo t = s.targets().get(0);
        assertEquals(292_800, t.parameters());
        assertTrue(t.configs().get("draft chain").notes().containsKey("draft ranks"), t.configs().toString());
        assertTrue(t.configs().get("recycling").notes().containsKey("recycling ranks"), t.configs().toString());
        assertTrue(Files.list(tmp.resolve("cache")).anyMatch(p -> p.getFileName().toString().startsWith("cost-")),
                "cost curves are cached");

        // the lossy section: the rules that apply to each decoding, beside plain decoding and lossless speculation
        assertEquals(2, s.lossyCells().size(), s.lossyNotes().toString());
        for (Suite.LossyCell l : s.lossyCells()) {
            boolean greedy = l.decoding().equals("greedy");
            assertEquals(greedy ? List.of(QualityHarness.PLAIN, "lossless", "r2r:0.5")
                    : List.of(QualityHarness.PLAIN, "lossless", "typical:0.09", "lantern:0.15"),
                    List.copyOf(l.rows().keySet()));
            if (greedy) {
                QualityHarness.Metrics plain = l.rows().get(QualityHarness.PLAIN);
                QualityHarness.Metrics lossless = l.rows().get("lossless");
                assertEquals(1.0, lossless.sameAsGreedy(), "lossless greedy speculation is greedy decoding");
                assertEquals(plain.logLikPerToken(), lossless.logLikPerToken(), 1e-9, "the same text, the same"
                        + " likelihood");
            }
            l.rows().values().forEach(m -> assertTrue(m.tau() >= 1 && m.tokensPerSecond() > 0
                    && m.logLikPerToken() < 0 && m.distinct2() > 0, l + ": " + m));
        }

        Path md = SuiteReport.write(s, tmp.resolve("out"), "bench --suite test", 1.0);
        String text = Files.readString(md);
        for (String needle : List.of("## Targets", "| stories260K | 292,800 |", "### story workload, greedy",
                "### copy workload, T=0.7", "## The issue's targets", "| draft chain |", "Cost curve:",
                "![speedup-story-greedy]", "## Lossy acceptance: speed × quality", "### stories260K, T=0.7",
                "| lantern:0.15 |", "| r2r:0.5 |", "![lossy-stories260K-greedy]")) {
            assertTrue(text.contains(needle), "report lacks " + needle);
        }
        Path charts = md.resolveSibling(md.getFileName().toString().replace(".md", ""));
        for (String png : List.of("speedup-story-greedy.png", "speedup-copy-T0.7.png", "tau-vs-speedup.png",
                "accepted-length-stories260K.png", "cost-curves.png", "lossy-stories260K-greedy.png",
                "lossy-stories260K-T0.7.png")) {
            assertNotNull(ImageIO.read(charts.resolve(png).toFile()), png + " is a readable PNG");
        }
        JsonObject json = JsonParser.parseString(Files.readString(md.resolveSibling(
                md.getFileName().toString().replace(".md", ".json")))).getAsJsonObject();
        assertEquals(configs * 4, json.getAsJsonArray("cells").size());
        assertEquals(2, json.getAsJsonArray("lossy").size());
        assertFalse(text.contains(SharedAssets.root().toAbsolutePath().toString()), "no paths outside the repository");
    }

    @Test
    void twinIsBuiltOnceCachedAndComputesTheOriginalsFunction() throws Exception {
        Path original = SharedAssets.require("models/stories260K.gguf");
        Inflation.Shape small = new Inflation.Shape(128, 8, 4, 16, 344, 6);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        Path twin = Twins.ensure(original, "small", small, tmp, ps);
        long modified = Files.getLastModifiedTime(twin).toMillis();
        assertEquals(twin, Twins.ensure(original, "small", small, tmp, ps));
        assertEquals(modified, Files.getLastModifiedTime(twin).toMillis(), "second call reuses the cached file");
        try (var dir = Files.list(twin.getParent())) {
            assertFalse(dir.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left behind");
        }
        LoadedModel o = ModelLoader.load(original);
        LoadedModel tw = ModelLoader.load(twin);
        assertEquals(6, tw.config().layers());
        try (LlamaModel m = new LlamaModel(tw.weights())) {
            Twins.Check c = Twins.check(o, tw, m, "Once upon a time, there was a little dog", 24);
            assertTrue(c.passed(), "twin check: " + c);
        }
    }
}
