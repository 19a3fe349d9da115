package io.specdec.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A small fork-join pool for the host kernels: {@code threads − 1} daemon workers plus the calling thread split one
 * job's chunks (rows of a projection, heads of attention) between them, taking chunks dynamically so that a core
 * busy with something else slows the job by its share only. A job costs a few microseconds to start (workers spin
 * briefly between jobs, then park), so a forward's ~5 jobs per layer are cheap next to the projections they split.
 *
 * <p>One job at a time: a thread that calls {@link #run} while another thread's job is running runs its own job alone
 * on itself (concurrent forwards on different caches stay correct and never wait on each other). With
 * {@code threads == 1} everything runs on the caller. Thread-safe; {@link #close()} stops the workers.
 */
public final class HostThreads implements AutoCloseable {
    /** One chunk of a job: {@code chunk} in [0, chunks). */
    @FunctionalInterface
    public interface Job {
        void run(int chunk, HostKernels.Scratch scratch);
    }

    private static final int SPIN = 20_000;
    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Job job;
    private volatile int chunks;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile Throwable failure;

    /** A pool of {@code threads} (≥ 1) threads including the caller's. */
    public HostThreads(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024, found " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::work, "specdec-host-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Threads that share a job (workers + the caller). */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code job} for every chunk in [0, chunks) across the pool and returns when all are done. An exception
     * thrown by a chunk is rethrown here (the other chunks still finish).
     */
    public void run(int chunks, Job job) {
        if (chunks <= 0) {
            return;
        }
        if (threads == 1 || chunks == 1 || closed || !lock.tryLock()) {
            HostKernels.Scratch s = HostKernels.scratch();
            for (int c = 0; c < chunks; c++) {
                job.run(c, s);
            }
            return;
        }
        try {
            this.job = job;
            this.chunks = chunks;
            this.failure = null;
            this.caller = Thread.currentThread();
            next.set(0);
            pending.set(workers.length);
            generation++;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            drain(job, chunks);
            int spins = 0;
            while (pending.get() > 0) {
                if (spins++ < SPIN) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000L);
                }
            }
            this.job = null;
            Throwable f = failure;
            if (f instanceof RuntimeException re) {
                throw re;
            } else if (f instanceof Error er) {
                throw er;
            }
        } finally {
            lock.unlock();
        }
    }

    private void drain(Job j, int n) {
        HostKernels.Scratch s = HostKernels.scratch();
        for (int c = next.getAndIncrement(); c < n; c = next.getAndIncrement()) {
            try {
                j.run(c, s);
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    private void work() {
        long seen = 0;
        int spins = 0;
        while (!closed) {
            long g = generation;
            if (g != seen) {
                seen = g;
                spins = 0;
                Job j = job;
                if (j != null) {
                    drain(j, chunks);
                }
                if (pending.decrementAndGet() == 0) {
                    LockSupport.unpark(caller);
                }
                continue;
            }
            if (spins++ < SPIN) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000_000L);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
