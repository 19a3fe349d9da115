package io.specdec.drafters.recycling;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.specdec.sampling.TopK;
import java.util.Arrays;

/**
 * Token Recycling's adjacency matrix {@code M[V][k]} (Luo et al. 2024, §3.1): row t holds the last top-k candidate
 * tokens the target produced right after token t ({@code -1} = empty). Int32, {@code V·k·4} bytes (1 MiB for
 * V = 32000, k = 8). It is meant to outlive requests — a warm matrix is the point of the method — and can be saved
 * and loaded ({@link #save}, {@link #load}).
 *
 * <p>Thread safety: rows are read and written under the matrix's lock, so several requests (threads) may share one
 * matrix; their updates interleave row by row (last writer wins per row, as in the single-request algorithm, where
 * each verification overwrites the rows it saw). A request never sees a half-written row.
 */
public final class AdjacencyMatrix {
    private static final int MAGIC = 0x53445452; // "SDTR"
    private static final int VERSION = 1;

    private final int vocab;
    private final int k;
    private final int[] data;

    /** An empty matrix. */
    public AdjacencyMatrix(int vocab, int k) {
        if (vocab <= 0 || k <= 0 || (long) vocab * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("invalid adjacency matrix size " + vocab + " x " + k);
        }
        this.vocab = vocab;
        this.k = k;
        this.data = new int[vocab * k];
        Arrays.fill(data, -1);
    }

    public int vocabSize() {
        return vocab;
    }

    /** Candidates per row. */
    public int k() {
        return k;
    }

    /** Bytes held by the matrix. */
    public long bytes() {
        return 4L * data.length;
    }

    /** Candidate {@code rank} after token {@code t}, or -1. */
    public synchronized int get(int t, int rank) {
        if (t < 0 || t >= vocab || rank < 0 || rank >= k) {
            throw new IllegalArgumentException("token " + t + " / rank " + rank + " outside the matrix (vocabulary "
                    + vocab + ", " + k + " candidates)");
        }
        return data[t * k + rank];
    }

    /** Copies row {@code t} into {@code out} (length ≥ k). */
    public synchronized void row(int t, int[] out) {
        System.arraycopy(data, t * k, out, 0, k);
    }

    /** Sets row {@code t} to the k largest entries of {@code logits[offset, offset+vocab)}, largest first. */
    public void update(int t, float[] logits, int offset) {
        int[] top = topK(logits, offset, vocab, k);
        synchronized (this) {
            System.arraycopy(top, 0, data, t * k, k);
        }
    }

    /** Number of non-empty rows. */
    public synchronized int filledRows() {
        int n = 0;
        for (int t = 0; t < vocab; t++) {
            if (data[t * k] >= 0) {
                n++;
            }
        }
        return n;
    }

    /** Indices of the k largest values (first on ties), padded with -1 when {@code n < k} ({@link TopK}). */
    static int[] topK(float[] v, int off, int n, int k) {
        int[] top = TopK.indices(v, off, n, k);
        if (top.length == k) {
            return top;
        }
        int[] idx = Arrays.copyOf(top, k);
        Arrays.fill(idx, top.length, k, -1);
        return idx;
    }

    /** Writes the matrix (magic, version, V, k, rows) atomically. */
    public synchronized void save(Path path) throws IOException {
        io.specdec.io.AtomicFiles.write(path, os -> {
            DataOutputStream out = new DataOutputStream(os);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(vocab);
            out.writeInt(k);
            for (int x : data) {
                out.writeInt(x);
            }
            out.flush();
        });
    }

    /** Reads a matrix written by {@link #save}; checks magic, version, sizes and every entry. */
    public static AdjacencyMatrix load(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": not a regular file");
        }
        long size = Files.size(path);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path)))) {
            if (size < 16 || in.readInt() != MAGIC) {
                throw new IOException(path + ": not a specdec recycling matrix (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(path + ": unsupported recycling matrix version " + version);
            }
            int v = in.readInt();
            int k = in.readInt();
            if (v <= 0 || k <= 0 || 16L + 4L * v * k != size) {
                throw new IOException(path + ": header says " + v + " x " + k + " but the file has " + size
                        + " bytes (truncated or corrupt)");
            }
            AdjacencyMatrix m = new AdjacencyMatrix(v, k);
            for (int i = 0; i < m.data.length; i++) {
                int x = in.readInt();
                if (x < -1 || x >= v) {
                    throw new IOException(path + ": entry " + i + " = " + x + " is outside the vocabulary of " + v);
                }
                m.data[i] = x;
            }
            return m;
        }
    }
}
