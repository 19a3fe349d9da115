package io.specdec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chat} and the chat/prompt options of {@code generate}, on the embedded demo: the interactive commands, the
 * cache reuse the stats report, and that a chat reply equals {@code generate --chat} of the same conversation.
 */
class ChatCommandTest {
    private static final Pattern TURN = Pattern.compile("\\[turn (\\d+): prompt (\\d+) tokens \\((\\d+) from the cache,"
            + " (\\d+) prefilled");

    @Test
    void chatStreamsRepliesReusesTheCacheAndObeysCommands() {
        CliRun r = CliRun.withInput("Tell me a story.\nWhat happened next?\n/stats\nAnd then?\n/reset\n/nope\nHi\n",
                "chat", "--max-tokens", "16", "--stats");
        assertEquals(0, r.code(), r.err());
        Matcher m = TURN.matcher(r.err());
        assertTrue(m.find(), r.err());
        assertEquals("0", m.group(3), "the first turn has nothing cached");
        assertTrue(m.find(), r.err());
        int prompt = Integer.parseInt(m.group(2));
        int reused = Integer.parseInt(m.group(3));
        assertTrue(reused > prompt / 2 && Integer.parseInt(m.group(4)) == prompt - reused, r.err());
        assertTrue(!m.find(), "/stats turned the statistics off: " + r.err());
        assertTrue(r.err().contains("[stats off]") && r.err().contains("[history cleared]")
                && r.err().contains("[unknown command /nope; /reset, /stats, /exit]"), r.err());
        assertEquals(4, r.out().lines().count(), "one line per reply: " + r.out());
        // the first reply is what generate --chat gives for the same single message
        CliRun g = CliRun.of("generate", "--model", io.specdec.demo.DemoModels.chatTarget().toString(), "--chat",
                "--prompt", "Tell me a story.", "--max-tokens", "16");
        assertEquals(0, g.code(), g.err());
        assertEquals(g.out().strip(), r.out().lines().findFirst().orElseThrow().strip());
    }

    @Test
    void generateTakesStopListsPromptFilesStdinLogprobsAndContextSize(@TempDir Path dir) throws Exception {
        CliRun base = CliRun.of("generate", "--prompt", "Once upon a time", "--max-tokens", "40", "--json");
        String text = JsonParser.parseString(base.out()).getAsJsonObject().get("text").getAsString();
        String[] words = text.strip().split("\\s+");
        String early = words[Math.min(4, words.length - 1)];
        String late = words[words.length - 1];
        CliRun stopped = CliRun.of("generate", "--prompt", "Once upon a time", "--max-tokens", "40", "--json",
                "--stop", late, "--stop", early);
        JsonObject o = JsonParser.parseString(stopped.out()).getAsJsonObject();
        assertEquals("stop_string", o.get("finish_reason").getAsString());
        assertTrue(!o.get("text").getAsString().contains(early), "cut before the earliest stop string");
        Path f = dir.resolve("p.txt");
        Files.writeString(f, "Once upon a time");
        CliRun file = CliRun.of("generate", "--prompt-file", f.toString(), "--max-tokens", "40", "--json");
        CliRun stdin = CliRun.withInput("Once upon a time", "generate", "--prompt-file", "-", "--max-tokens", "40",
                "--json");
        assertEquals(text, JsonParser.parseString(file.out()).getAsJsonObject().get("text").getAsString());
        assertEquals(text, JsonParser.parseString(stdin.out()).getAsJsonObject().get("text").getAsString());
        CliRun lp = CliRun.of("generate", "--prompt", "Once upon a time", "--max-tokens", "8", "--json",
                "--logprobs", "3");
        JsonArray arr = JsonParser.parseString(lp.out()).getAsJsonObject().getAsJsonArray("logprobs");
        assertEquals(8, arr.size());
        JsonObject first = arr.get(0).getAsJsonObject();
        assertEquals(3, first.getAsJsonArray("top_logprobs").size());
        assertTrue(first.get("logprob").getAsDouble() <= 0);
        CliRun tiny = CliRun.of("generate", "--prompt", "Once upon a time there was a little girl", "--ctx-size", "4");
        assertEquals(1, tiny.code());
        assertTrue(tiny.err().matches("(?s).*error: prompt has \\d+ tokens but the model's context holds 4\\s*"),
                tiny.err());
        CliRun both = CliRun.of("generate", "--prompt", "x", "--prompt-file", f.toString());
        assertEquals(2, both.code());
        CliRun sys = CliRun.of("generate", "--system", "x");
        assertTrue(sys.code() == 2 && sys.err().contains("--system needs --chat"), sys.err());
        CliRun noTemplate = CliRun.of("generate", "--chat", "--prompt", "hi", "--max-tokens", "4");
        assertEquals(1, noTemplate.code());
        assertTrue(noTemplate.err().contains("has no chat template; choose one with --chat-template (built-in: chatml"),
                noTemplate.err());
    }
}
