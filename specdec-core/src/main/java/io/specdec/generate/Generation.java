package io.specdec.generate;

import io.specdec.tokenizer.StreamingDecoder;
import io.specdec.tokenizer.Tokenizer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A running generation: an {@link Iterator} of {@link GeneratedToken}s that applies the stop conditions (EOS, token
 * budget, stop strings, full context, {@link #cancel()}), decodes text incrementally and times the work. Shared by
 * autoregressive and speculative decoding, which differ only in their {@link DecodeStep}. Native memory (the step's
 * KV caches) is freed on every path: when the generation finishes (exhausted, a stop condition), when a step throws,
 * on {@link #cancel()} (at once if no step is running, else when it returns), on {@link #close()}, and — the safety
 * net for an abandoned generation — by a {@link java.lang.ref.Cleaner} once it is unreachable. Not thread-safe,
 * except {@link #cancel()}, which any thread may call.
 */
public final class Generation implements Iterator<GeneratedToken>, AutoCloseable {
    private final Tokenizer tokenizer;
    private final GenerationConfig config;
    private final int[] promptIds;
    private final DecodeStep step;
    private final StreamingDecoder decoder;
    private TokenLogprobs pendingLogprobs;
    /** The token the last {@link #hasNext()} returned true for, until {@link #next()} takes it. */
    private GeneratedToken promised;
    private final java.util.List<TokenLogprobs> logprobs = new java.util.ArrayList<>();
    /** Ids that end the generation when {@code stopAtEos}: EOS and the vocabulary's end-of-turn tokens, sorted. */
    private final int[] endIds;
    private final ArrayDeque<GeneratedToken> ready = new ArrayDeque<>();
    private final StringBuilder text = new StringBuilder();
    private final double prefillSeconds;
    private int[] ids = new int[16];
    private int count;
    private int emittedChars;
    private long decodeNanos;
    private FinishReason finish;
    private volatile boolean cancelled;
    private int deliveredCount;
    private int deliveredChars;
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    private final java.util.concurrent.locks.ReentrantLock stepLock = new java.util.concurrent.locks.ReentrantLock();
    private final StepCloser closer;
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    /** Closes the step once, from whichever path gets there first; holds no reference to the generation. */
    private static final class StepCloser implements Runnable {
        private final DecodeStep step;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

        StepCloser(DecodeStep step) {
            this.step = step;
        }

        private volatile boolean released;

        @Override
        public void run() {
            if (closed.compareAndSet(false, true)) {
                try {
                    step.close();
                } finally {
                    released = true;
                    listeners.forEach(Runnable::run);
                }
            }
        }

        void listen(Runnable r) {
            java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
            Runnable w = () -> {
                if (once.compareAndSet(false, true)) {
                    r.run();
                }
            };
            listeners.add(w);
            if (released) {
                w.run();
            }
        }
    }

    /**
     * Runs {@code r} once this generation's native memory has been freed (at once if it already has): the owner of
     * the model uses it to know when no generation uses the model any more. Thread-safe.
     */
    public void onRelease(Runnable r) {
        closer.listen(r);
    }

    /**
     * Starts a generation; {@code stepFactory} runs the prefill and is timed as such.
     */
    public Generation(Tokenizer tokenizer, int[] promptIds, GenerationConfig config, Supplier<DecodeStep> stepFactory) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.promptIds = promptIds.clone();
        long t0 = System.nanoTime();
        this.step = stepFactory.get();
        this.closer = new StepCloser(step);
        this.cleanable = CLEANER.register(this, closer);
        this.prefillSeconds = (System.nanoTime() - t0) / 1e9;
        this.endIds = tokenizer.endOfGenerationIds();
        this.decoder = new StreamingDecoder(tokenizer, promptIds.length == 0 ? -1 : promptIds[promptIds.length - 1]);
    }

    /**
     * Stops the generation (thread-safe): {@link #hasNext()} is false from then on — tokens a speculative round
     * produced but {@link #next()} has not returned yet are dropped, so the result holds exactly what was delivered —
     * and native memory is freed at once when no step is running (else when it returns).
     */
    public void cancel() {
        cancelled = true;
        if (stepLock.tryLock()) {
            try {
                closer.run();
            } finally {
                stepLock.unlock();
            }
        }
    }

    @Override
    public boolean hasNext() {
        if (cancelled) {
            dropUndelivered();
        }
        while (ready.isEmpty() && finish == null) {
            advance();
        }
        promised = ready.peek();
        return promised != null;
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        GeneratedToken t = ready.poll();
        promised = null;
        deliveredCount = t.index() + 1;
        deliveredChars += t.text().length();
        return t;
    }

    /** After {@link #cancel()}: forgets what was produced but not delivered, and finishes as cancelled. */
    private void dropUndelivered() {
        if (ready.isEmpty()) {
            finish(FinishReason.CANCELLED);
            return;
        }
        // a token hasNext() already promised is still delivered (a cancel from another thread may land between
        // hasNext() and next()); everything after it is dropped
        GeneratedToken keep = promised != null && ready.peek() == promised ? promised : null;
        ready.clear();
        int keptChars = 0;
        if (keep != null) {
            ready.add(keep);
            keptChars = keep.text().length();
        }
        count = keep != null ? keep.index() + 1 : deliveredCount;
        text.setLength(deliveredChars + keptChars);
        emittedChars = deliveredChars + keptChars;
        finish = FinishReason.CANCELLED;
        closer.run();
    }

    /** The tokens as a sequential {@link Stream}; closing the stream closes this generation. */
    public Stream<GeneratedToken> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    private void advance() {
        if (cancelled) {
            finish(FinishReason.CANCELLED);
            return;
        }
        int budget = config.maxNewTokens() - count;
        long t0 = System.nanoTime();
        int[] toks;
        stepLock.lock();
        try {
            if (cancelled) {
                finish(FinishReason.CANCELLED);
                return;
            }
            toks = step.next(budget);
            if (cancelled) {
                finish(FinishReason.CANCELLED); // cancelled while the step ran: free its memory now, on this thread
                return;
            }
        } catch (RuntimeException | Error e) {
            closer.run(); // a failed step frees its caches; the generation cannot continue
            finish = FinishReason.CANCELLED;
            throw e;
        } finally {
            stepLock.unlock();
        }
        decodeNanos += System.nanoTime() - t0;
        if (toks.length == 0) {
            finish(FinishReason.CONTEXT_FULL);
            return;
        }
        float[][] rows = config.logprobs() > 0 ? step.lastLogits() : null;
        for (int k = 0; k < toks.length; k++) {
            int id = toks[k];
            pendingLogprobs = rows != null && k < rows.length ? TokenLogprobs.of(rows[k], id, config.logprobs()) : null;
            if (config.stopAtEos() && Arrays.binarySearch(endIds, id) >= 0) {
                finish(FinishReason.EOS);
                return;
            }
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[count++] = id;
            text.append(decoder.accept(id));
            int stopAt = stopIndex();
            if (stopAt >= 0) {
                text.setLength(stopAt);
                emit(id, text.length());
                finish(FinishReason.STOP_STRING);
                return;
            }
            emit(id, text.length() - holdBack());
            if (count >= config.maxNewTokens()) {
                finish(FinishReason.LENGTH);
                return;
            }
        }
    }

    /** Earliest index of a stop string in the text (searching only where a new match can start), or -1. */
    private int stopIndex() {
        int best = -1;
        for (String s : config.stopStrings()) {
            int from = Math.max(0, emittedChars - s.length());
            int i = text.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Characters at the end of the text that might begin a stop string and so are not streamed yet. */
    private int holdBack() {
        int hold = 0;
        for (String s : config.stopStrings()) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    private void emit(int id, int upTo) {
        int end = Math.max(upTo, emittedChars);
        String piece = text.substring(emittedChars, end);
        emittedChars = end;
        ready.add(new GeneratedToken(id, piece, count - 1, pendingLogprobs));
        if (pendingLogprobs != null) {
            logprobs.add(pendingLogprobs);
        }
    }

    private void finish(FinishReason reason) {
        if (finish != null) {
            return;
        }
        finish = reason;
        if (reason != FinishReason.STOP_STRING) {
            text.append(decoder.flush());
            if (text.length() > emittedChars && !ready.isEmpty()) {
                GeneratedToken last = ready.pollLast();
                ready.add(new GeneratedToken(last.id(), last.text() + text.substring(emittedChars), last.index(),
                        last.logprobs()));
                emittedChars = text.length();
            }
        }
        closer.run();
    }

    /** Runs to the end and returns the result. */
    public GenerationResult result() {
        while (hasNext()) {
            next();
        }
        return new GenerationResult(promptIds.clone(), Arrays.copyOf(ids, count), text.toString(), finish,
                new GenerationStats(promptIds.length, count, prefillSeconds, decodeNanos / 1e9),
                step.speculationStats(), java.util.List.copyOf(logprobs));
    }

    /** The finish reason, or null while running. */
    public FinishReason finishReason() {
        return finish;
    }

    @Override
    public void close() {
        if (finish == null) {
            finish(FinishReason.CANCELLED);
        }
        cleanable.clean();
    }
}
