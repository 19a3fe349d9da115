package io.specdec.train;

import io.specdec.chat.ChatMessage;
import io.specdec.chat.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dialogue built from stories, for teaching a story model to chat (the embedded chat demo): greetings, requests
 * for a story (any, about a kind of character, about a name), and follow-up questions whose answers are read off
 * the story told (who it is about, the character's name, how it ends), each conversation rendered with a chat
 * template. Nothing here is a language model: answers are the stories themselves or sentences assembled from what a
 * regular expression found in them ("a little girl named Lily"). Deterministic for a seed. Stateless.
 */
public final class ChatCorpus {
    private static final Pattern NAMED = Pattern.compile(
            "\\b(?:a|an)\\s+(?:(?:little|big|small|kind|happy|young|old|friendly|nice|brave|shy|smart)\\s+)*"
                    + "(\\p{Ll}+)\\s+named\\s+(\\p{Lu}\\p{Ll}+)");
    private static final Pattern SENTENCE = Pattern.compile("[^.!?]+[.!?]+\"?");
    private static final String[] GREETINGS = {"Hi", "Hello", "Hello!", "Hi there", "Good morning", "Hey"};
    private static final String[] GREETING_REPLIES = {"Hello! Do you want to hear a story?",
        "Hi! I can tell you a story. What should it be about?", "Hello! I know many stories. Shall I tell you one?"};
    private static final String[] ASK_ANY = {"Tell me a story.", "Can you tell me a story?", "Please tell me a story.",
        "Yes, please.", "I want to hear a story."};
    private static final String[] SYSTEMS = {"You are a friendly storyteller.", "You tell short stories for children."};

    private ChatCorpus() {}

    /** What a story is about, as far as the pattern finds it. */
    record Facts(String kind, String name, String first, String last) {}

    static Facts facts(String story) {
        Matcher m = NAMED.matcher(story);
        String kind = null;
        String name = null;
        if (m.find()) {
            kind = m.group(1);
            name = m.group(2);
        }
        List<String> sentences = sentences(story);
        return new Facts(kind, name, sentences.isEmpty() ? story : sentences.get(0),
                sentences.isEmpty() ? story : sentences.get(sentences.size() - 1));
    }

    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = SENTENCE.matcher(text);
        while (m.find()) {
            out.add(m.group().strip());
        }
        return out;
    }

    /** The story cut to whole sentences of at most {@code maxChars} (at least its first sentence). */
    static String shorten(String story, int maxChars) {
        StringBuilder b = new StringBuilder();
        for (String s : sentences(story)) {
            if (b.length() > 0 && b.length() + 1 + s.length() > maxChars) {
                break;
            }
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(s);
        }
        return b.length() == 0 ? story.strip() : b.toString();
    }

    private static String article(String noun) {
        return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
    }

    private static String pick(String[] a, Random r) {
        return a[r.nextInt(a.length)];
    }

    /**
     * One conversation per story (stories shortened to {@code maxStoryChars}), rendered by {@code template} without a
     * generation prompt.
     */
    public static List<String> conversations(List<String> stories, ChatTemplate template, int maxStoryChars,
            long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stories.size(); i++) {
            String story = shorten(stories.get(i), maxStoryChars);
            Facts f = facts(story);
            List<ChatMessage> msgs = new ArrayList<>();
            if (r.nextInt(4) == 0) {
                msgs.add(ChatMessage.system(pick(SYSTEMS, r)));
            }
            if (r.nextInt(3) == 0) {
                msgs.add(ChatMessage.user(pick(GREETINGS, r)));
                msgs.add(ChatMessage.assistant(pick(GREETING_REPLIES, r)));
            }
            int kind = r.nextInt(3);
            if (kind == 1 && f.kind() != null) {
                msgs.add(ChatMessage.user("Tell me a story about " + article(f.kind()) + "."));
            } else if (kind == 2 && f.name() != null) {
                msgs.add(ChatMessage.user("Tell me a story about " + f.name() + "."));
            } else {
                msgs.add(ChatMessage.user(pick(ASK_ANY, r)));
            }
            msgs.add(ChatMessage.assistant(story));
            int follow = r.nextInt(4);
            if (f.name() != null && f.kind() != null && follow == 0) {
                msgs.add(ChatMessage.user("Who is the story about?"));
                msgs.add(ChatMessage.assistant("It is about " + f.name() + ", " + article(f.kind()) + "."));
            } else if (f.name() != null && f.kind() != null && follow == 1) {
                msgs.add(ChatMessage.user("What was the " + f.kind() + "'s name?"));
                msgs.add(ChatMessage.assistant("The " + f.kind() + " was named " + f.name() + "."));
            } else if (follow == 2 && !f.last().equals(f.first())) {
                msgs.add(ChatMessage.user("How does the story end?"));
                msgs.add(ChatMessage.assistant("It ends like this: " + f.last()));
            }
            if (r.nextInt(5) == 0) {
                msgs.add(ChatMessage.user("Thank you!"));
                msgs.add(ChatMessage.assistant("You are welcome! I hope you liked the story."));
            }
            out.add(template.render(msgs, false));
        }
        return out;
    }
}
