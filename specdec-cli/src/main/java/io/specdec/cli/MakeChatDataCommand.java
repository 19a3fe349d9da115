package io.specdec.cli;

import io.specdec.chat.ChatTemplate;
import io.specdec.train.ChatCorpus;
import io.specdec.train.TextCorpus;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code make-chat-data}: stories in, dialogue out ({@link ChatCorpus}): one conversation per story, rendered with a
 * chat template, written as a text corpus for {@code train-lm} (how the chat demo is taught to answer).
 */
@Command(name = "make-chat-data", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Turn stories into chat conversations (requests, the story, follow-up questions) rendered with a"
                + " chat template, for train-lm.")
final class MakeChatDataCommand extends Subcommand {
    @Option(names = "--stories", required = true, paramLabel = "FILE", description = "stories, <|endoftext|>-separated"
            + " (export-text writes them)")
    Path stories;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where to write the conversations")
    Path out;
    @Option(names = "--chat-template", paramLabel = "NAME|FILE", description = "built-in name or .jinja file;"
            + " default chatml")
    String template = "chatml";
    @Option(names = "--max-story-chars", paramLabel = "N", description = "stories are cut to whole sentences of at"
            + " most N characters; default 400")
    int maxStoryChars = 400;
    @Option(names = "--seed", paramLabel = "S", description = "default 1")
    long seed = 1;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = cl();
        if (maxStoryChars < 20) {
            throw new CommandLine.ParameterException(cl, "--max-story-chars must be >= 20, found " + maxStoryChars);
        }
        ChatTemplate t = io.specdec.chat.ChatTemplates.named(template, "", "");
        List<String> docs = TextCorpus.read(stories);
        List<String> conv = ChatCorpus.conversations(docs, t, maxStoryChars, seed);
        TextCorpus.write(out, conv);
        long chars = conv.stream().mapToLong(String::length).sum();
        main.out.printf("wrote %s: %,d conversations, %,d characters (%s)%n", out, conv.size(), chars, t.name());
        return 0;
    }
}
