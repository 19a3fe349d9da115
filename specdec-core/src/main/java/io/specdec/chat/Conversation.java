package io.specdec.chat;

import io.specdec.generate.Generation;
import io.specdec.generate.GenerationResult;
import io.specdec.generate.TextGenerator;
import io.specdec.model.CausalLM;
import io.specdec.model.PrefixReuse;
import io.specdec.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * A multi-turn chat: the history, laid out by the model's {@link ChatTemplate} each turn, and one retained KV cache
 * ({@link PrefixReuse}) so a turn's prefill runs only the tokens that are new since the previous turn — the reply
 * already in the cache is not recomputed unless the template re-renders it differently. Each reply is an ordinary
 * {@link Generation} from the decoder the conversation was made with (any drafter and controller; the output is the
 * model's own, token for token when greedy). A reply ends at an end-of-turn id ({@code <|eot_id|>},
 * {@code <|im_end|>}, EOS…); its text — also when it was cancelled midway — joins the history as the assistant's
 * message when the reply is closed. Not thread-safe; one reply at a time. Owns the retained cache: close it.
 */
public final class Conversation implements AutoCloseable {
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final PrefixReuse target;
    private final TextGenerator generator;
    private final boolean addBos;
    private final List<ChatMessage> history = new ArrayList<>();
    private Reply open;
    private int lastReused;
    private int lastComputed;

    /**
     * @param template lays the history out
     * @param target the target model
     * @param generatorOn makes the decoder on a given target (the conversation passes its prefix-reusing view)
     * @param addBos whether the model wants BOS (added unless the rendered text already starts with its text)
     * @param capacity the retained cache's capacity (positions; capped at the context length)
     */
    public Conversation(ChatTemplate template, CausalLM target, Function<CausalLM, TextGenerator> generatorOn,
            boolean addBos, int capacity) {
        this.template = template;
        this.target = new PrefixReuse(target, capacity);
        this.generator = generatorOn.apply(this.target);
        this.tokenizer = generator.tokenizer();
        this.addBos = addBos;
    }

    /** The messages so far (read-only view). */
    public List<ChatMessage> history() {
        return Collections.unmodifiableList(history);
    }

    /** Adds a message without generating (a system prompt, or turns restored from elsewhere). */
    public Conversation add(ChatMessage m) {
        requireNoOpenReply();
        history.add(m);
        return this;
    }

    /** Forgets the history and the retained tokens (the cache memory stays for the next turn). */
    public void reset() {
        requireNoOpenReply();
        history.clear();
        target.reset();
    }

    /**
     * Sends a user message and starts the reply. Iterate the reply for tokens, or call {@link Reply#result()}; close
     * it to end the turn (the assistant's text then joins the history).
     *
     * @throws ChatTemplateException if the template refuses the conversation
     * @throws IllegalArgumentException if the rendered conversation does not fit the model's context
     */
    public Reply send(String userText) {
        return send(ChatMessage.user(userText));
    }

    /** Sends {@code message} (any role the template knows) and starts the reply. */
    public Reply send(ChatMessage message) {
        requireNoOpenReply();
        List<ChatMessage> all = new ArrayList<>(history);
        all.add(message);
        int[] ids = ChatPrompt.encode(template, tokenizer, all, addBos);
        Generation g;
        try {
            g = generator.start(ids);
        } catch (RuntimeException e) {
            target.remember(new int[0]); // the request never started: nothing retained is trusted any more
            throw e;
        }
        history.add(message);
        lastReused = target.lastReused();
        lastComputed = target.lastComputed();
        open = new Reply(g, ids);
        return open;
    }

    /** Prompt tokens the last turn took from the retained cache. */
    public int lastReusedTokens() {
        return lastReused;
    }

    /** Prompt tokens the last turn's prefill computed. */
    public int lastPrefilledTokens() {
        return lastComputed;
    }

    private void requireNoOpenReply() {
        if (open != null) {
            throw new IllegalStateException("the previous reply is still open: close it (or read it to the end) first");
        }
    }

    /** Frees the retained cache. */
    @Override
    public void close() {
        if (open != null) {
            open.close();
        }
        target.close();
    }

    /** One reply: a {@link Generation} whose end adds the assistant's message to the history. */
    public final class Reply implements java.util.Iterator<io.specdec.generate.GeneratedToken>, AutoCloseable {
        private final Generation generation;
        private final int[] promptIds;
        private boolean closed;

        private Reply(Generation generation, int[] promptIds) {
            this.generation = generation;
            this.promptIds = promptIds;
        }

        @Override
        public boolean hasNext() {
            return generation.hasNext();
        }

        @Override
        public io.specdec.generate.GeneratedToken next() {
            return generation.next();
        }

        /** Stops the reply at the next token boundary (any thread); what was generated stays in the history. */
        public void cancel() {
            generation.cancel();
        }

        /** Runs the reply to its end, ends the turn and returns the result. */
        public GenerationResult result() {
            GenerationResult r = generation.result();
            close();
            return r;
        }

        /** The prompt ids this reply was generated from. */
        public int[] promptIds() {
            return promptIds.clone();
        }

        /** Ends the turn: the reply's text (whole or as far as it got) joins the history; the cache is kept. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            GenerationResult r;
            try {
                generation.cancel();
                r = generation.result();
            } finally {
                generation.close();
                open = null;
            }
            int[] gen = r.ids();
            int[] seq = Arrays.copyOf(promptIds, promptIds.length + gen.length);
            System.arraycopy(gen, 0, seq, promptIds.length, gen.length);
            target.remember(seq);
            history.add(ChatMessage.assistant(r.text()));
        }
    }
}
