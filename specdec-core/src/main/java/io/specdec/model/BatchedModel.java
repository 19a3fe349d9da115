package io.specdec.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching under the {@link CausalLM} interface: a view of one {@link LlamaModel} whose forwards, called
 * concurrently by the threads of several sequences (one decode loop per request, autoregressive or speculative), run
 * together as one {@link LlamaModel#forwardBatch batched forward} per round — each weight read once for every
 * sequence's rows. Nothing above the model changes: a verifier, a drafter or the autoregressive loop built on this
 * view gets exactly the outputs it would get alone (the batched forward is bitwise batch-invariant), so every
 * sequence's tokens are those of its single-sequence run.
 *
 * <p>Scheduling (the pattern of Orca's iteration-level scheduling and vLLM's continuous batching, read, not copied):
 * the sequences are the open caches made by {@link #newCache}. A round starts when every sequence of the previous
 * round (at first: every open one) has a forward waiting again, or when the oldest waiting forward has waited
 * {@code maxWait} since the last round ended; a sequence that missed a round (still drafting, or an idle kept conversation) is not waited for
 * again until it comes back, so it never holds the others longer than {@code maxWait}. Sequences join by making a cache and leave by
 * closing it, between any two rounds. A long causal forward that wants only its last row's logits (a prompt's
 * prefill) is <em>chunked</em>: at most {@code prefillChunk} of its rows go into each round, so a newcomer's prompt
 * does not stall the others' decoding for its whole length.
 *
 * <p>A round whose batch fails validation (one request's bad token, a full cache) runs its requests one at a time, so
 * only the bad request gets its one-line error. Thread-safe; the forward blocks the calling thread until its rows
 * have run. Closing this view does not close the model.
 */
public final class BatchedModel extends CausalLMView {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BatchedModel.class);
    private final LlamaModel model;
    private final int prefillChunk;
    private final long maxWaitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Request> waiting = new ArrayList<>(); // guarded by lock
    private final List<KvCache> members = new ArrayList<>(); // guarded by lock
    /**
     * Threads now waiting in some batched model (a sequence's thread waits in the draft model's or the target's):
     * a round does not wait for a sequence whose thread is held by another model.
     */
    private static final java.util.Map<Thread, BatchedModel> WAITING = new java.util.concurrent.ConcurrentHashMap<>();
    /** The thread that last sent each sequence's forward (guarded by lock). */
    private final java.util.Map<KvCache, Thread> threadOf = new java.util.IdentityHashMap<>();
    /** The sequences of the last round: the ones a round waits for (guarded by lock). */
    private final java.util.Set<KvCache> lastRound = java.util.Collections.newSetFromMap(
            new java.util.IdentityHashMap<>());
    private boolean running; // guarded by lock
    private long lastRoundEnd; // guarded by lock; System.nanoTime()
    private long rounds; // guarded by lock
    private long roundRows; // guarded by lock
    private long roundItems; // guarded by lock

    /**
     * @param model the model every forward runs on
     * @param prefillChunk most rows of one prefill per round ({@code >= 1})
     * @param maxWaitMicros longest a waiting forward waits for the other sequences ({@code >= 0})
     */
    public BatchedModel(LlamaModel model, int prefillChunk, long maxWaitMicros) {
        super(model);
        if (prefillChunk < 1 || maxWaitMicros < 0) {
            throw new IllegalArgumentException("prefill chunk must be >= 1 and max wait >= 0, found " + prefillChunk
                    + " and " + maxWaitMicros);
        }
        this.model = model;
        this.prefillChunk = prefillChunk;
        this.maxWaitNanos = maxWaitMicros * 1000;
    }

    /**
     * As {@link #BatchedModel(LlamaModel, int, long)} with 64-row prefill chunks and a 20 ms wait (system property
     * {@code specdec.batch.maxWaitMicros} overrides the wait).
     */
    public BatchedModel(LlamaModel model) {
        this(model, 64, Long.getLong("specdec.batch.maxWaitMicros", 20_000));
    }

    /** The model underneath. */
    public LlamaModel model() {
        return model;
    }

    /**
     * Sequences open now (caches made by {@link #newCache} and not closed): the batch size a speculation budget
     * plans for. Not the last round's size — rounds split while some sequences draft, and planning for the split
     * size would speculate more, which splits rounds further.
     */
    public int openSequences() {
        lock.lock();
        try {
            members.removeIf(KvCache::isClosed);
            return members.size();
        } finally {
            lock.unlock();
        }
    }

    /** Rounds run, rows and sequence forwards in them, so far: {@code {rounds, rows, items}}. */
    public long[] roundStats() {
        lock.lock();
        try {
            return new long[] {rounds, roundRows, roundItems};
        } finally {
            lock.unlock();
        }
    }

    /** One forward waiting for its round; a chunked prefill advances {@code done} round by round. */
    private static final class Request {
        final KvCache cache;
        final int[] tokens;
        final int[] positions;
        final AttentionMask mask;
        final ForwardOptions options;
        final boolean chunked;
        final long arrived = System.nanoTime();
        int done;
        ForwardResult result;
        RuntimeException error;
        boolean finished;

        Request(KvCache cache, int[] tokens, int[] positions, AttentionMask mask, ForwardOptions options,
                boolean chunked) {
            this.cache = cache;
            this.tokens = tokens;
            this.positions = positions;
            this.mask = mask;
            this.options = options;
            this.chunked = chunked;
        }

        /** This round's part: all of it, or the next chunk of a chunked prefill. */
        LlamaModel.BatchItem item(int chunk) {
            if (!chunked) {
                return LlamaModel.BatchItem.of(cache, tokens, positions, mask, options);
            }
            int end = Math.min(tokens.length, done + chunk);
            return LlamaModel.BatchItem.of(cache, Arrays.copyOfRange(tokens, done, end),
                    Arrays.copyOfRange(positions, done, end), null, options);
        }
    }

    @Override
    public ForwardResult forward(KvCache cache, int[] tokens, int[] positions, AttentionMask mask,
            ForwardOptions options) {
        boolean chunk = tokens != null && tokens.length > prefillChunk && mask == null && options.logitRows() == 1
                && !options.lastHidden() && options.hiddenLayers().length == 0 && !options.deviceOutputs();
        Request r = new Request(cache, tokens, positions, mask, options, chunk);
        Thread me = Thread.currentThread();
        WAITING.put(me, this);
        lock.lock();
        try {
            threadOf.put(cache, me);
            waiting.add(r);
            changed.signalAll();
            while (!r.finished) {
                if (running) {
                    changed.await();
                    continue;
                }
                long oldest = Long.MAX_VALUE;
                java.util.Set<KvCache> ready = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                for (Request w : waiting) {
                    oldest = Math.min(oldest, w.arrived);
                    ready.add(w.cache);
                }
                members.removeIf(KvCache::isClosed);
                lastRound.removeIf(KvCache::isClosed);
                threadOf.keySet().removeIf(KvCache::isClosed);
                boolean all = true;
                for (KvCache m : lastRound.isEmpty() ? members : lastRound) {
                    Thread t = threadOf.get(m);
                    BatchedModel elsewhere = t == null ? null : WAITING.get(t);
                    all &= ready.contains(m) || (elsewhere != null && elsewhere != this);
                }
                // time spent while a round ran does not count: those sequences were busy, not late
                long waited = System.nanoTime() - Math.max(oldest, lastRoundEnd);
                if (all || waited >= maxWaitNanos) {
                    runRound();
                } else {
                    changed.awaitNanos(maxWaitNanos - waited);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            waiting.remove(r);
            throw new IllegalStateException("interrupted while waiting for a batched forward", e);
        } finally {
            lock.unlock();
            WAITING.remove(me);
        }
        if (r.error != null) {
            throw r.error;
        }
        return r.result;
    }

    /** Runs one round over every waiting request; called holding the lock, runs the forward without it. */
    private void runRound() {
        List<Request> batch = new ArrayList<>(waiting);
        List<LlamaModel.BatchItem> items = new ArrayList<>(batch.size());
        int rows = 0;
        for (Request w : batch) {
            LlamaModel.BatchItem it = w.item(prefillChunk);
            items.add(it);
            rows += it.positions().length;
        }
        running = true;
        if (LOG.isDebugEnabled()) {
            LOG.debug("round {}: {} sequences, {} rows; {} open, {} in the last round", rounds, batch.size(), rows,
                    members.size(), lastRound.size());
        }
        lastRound.clear();
        for (Request w : batch) {
            lastRound.add(w.cache);
        }
        rounds++;
        roundRows += rows;
        roundItems += items.size();
        lock.unlock();
        List<ForwardResult> results = null;
        RuntimeException[] errors = new RuntimeException[batch.size()];
        try {
            try {
                results = model.forwardBatch(items);
            } catch (IllegalArgumentException batchFailed) {
                results = new ArrayList<>();
                for (int i = 0; i < items.size(); i++) { // one at a time: only the bad request fails
                    LlamaModel.BatchItem it = items.get(i);
                    try {
                        results.add(model.forward(it.cache(), it.tokens(), it.positions(), it.mask(), it.options()));
                    } catch (RuntimeException e) {
                        results.add(null);
                        errors[i] = e;
                    }
                }
            } catch (RuntimeException e) {
                Arrays.fill(errors, e);
            }
        } finally {
            lock.lock();
            running = false;
            lastRoundEnd = System.nanoTime();
            for (int i = 0; i < batch.size(); i++) {
                Request w = batch.get(i);
                ForwardResult res = results == null ? null : results.get(i);
                if (errors[i] == null && res == null) { // an Error escaped the forward: fail every request of it
                    errors[i] = new IllegalStateException("the batched forward failed");
                }
                if (errors[i] != null) {
                    w.error = errors[i];
                } else if (w.chunked && w.done + prefillChunk < w.tokens.length) {
                    w.done += prefillChunk; // more chunks to go: stays waiting, its partial result is not needed
                    if (res != null) {
                        res.close();
                    }
                    continue;
                } else {
                    w.result = res;
                }
                w.finished = true;
                waiting.remove(w);
            }
            changed.signalAll();
        }
    }

    @Override
    public KvCache newCache(int capacity) {
        KvCache c = model.newCache(capacity);
        lock.lock();
        try {
            members.add(c);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return c;
    }

    /** Does nothing: the model belongs to whoever made this view. */
    @Override
    public void close() {
    }
}
