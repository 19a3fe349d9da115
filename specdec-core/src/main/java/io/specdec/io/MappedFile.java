package io.specdec.io;

import io.specdec.format.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only file opened for memory-mapped access. Tensor data is served from a few large mappings ("windows" of up
 * to 1 GiB, made on first use and shared by every tensor inside them), so a model holds a handful of mappings
 * whatever its tensor count, and files larger than 2 GiB work as long as each tensor is below 2 GiB. Every region is
 * checked against the file size.
 *
 * <p>Lifetime: reference-counted. The opener holds one reference; whoever keeps slices beyond the opener's
 * {@link #close()} (a model computing on the mapped weights) calls {@link #retain()} and later {@link #close()}. When
 * the count reaches zero the windows are unmapped at once (not when the garbage collector gets to them); a slice
 * must not be read after that. Thread-safe.
 */
final class MappedFile implements AutoCloseable {
    private static final long WINDOW = 1L << 30;
    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final java.util.List<long[]> windowRanges = new java.util.ArrayList<>();
    private final java.util.List<MappedByteBuffer> windows = new java.util.ArrayList<>();
    private int refs = 1;

    MappedFile(Path path) {
        this.path = path;
        if (!Files.isRegularFile(path)) {
            throw new CheckpointException(path + ": not a readable file");
        }
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.READ);
            this.size = channel.size();
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Maps {@code [offset, offset+length)} little-endian, after checking it lies inside the file. */
    ByteBuffer map(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new CheckpointException(path + ": " + what + " spans bytes [" + offset + ", " + (offset + length)
                    + ") but the file has " + size + " bytes (truncated or corrupt)");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(path + ": " + what + " is " + length + " bytes; regions over 2 GiB are not"
                    + " supported");
        }
        try {
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
            return b.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot map " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * A little-endian view of {@code [offset, offset+length)} from a shared window mapping (no new mapping when a
     * window already covers it).
     */
    synchronized ByteBuffer slice(long offset, long length, String what) {
        if (refs <= 0) {
            throw new IllegalStateException(path + ": file closed");
        }
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new CheckpointException(path + ": " + what + " spans bytes [" + offset + ", " + (offset + length)
                    + ") but the file has " + size + " bytes (truncated or corrupt)");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(path + ": " + what + " is " + length + " bytes; tensors over 2 GiB are not"
                    + " supported");
        }
        for (int i = 0; i < windows.size(); i++) {
            long[] r = windowRanges.get(i);
            if (offset >= r[0] && offset + length <= r[1]) {
                return windows.get(i).slice((int) (offset - r[0]), (int) length).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        long start = offset & ~4095L;
        long end = Math.min(size, Math.max(offset + length, start + WINDOW));
        if (end - start > Integer.MAX_VALUE - 8) {
            start = offset;
            end = offset + length;
        }
        try {
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, start, end - start);
            windows.add(b);
            windowRanges.add(new long[] {start, end});
            return b.slice((int) (offset - start), (int) length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot map " + what + ": " + e.getMessage(), e);
        }
    }

    /** Takes one more reference (see the class comment). */
    synchronized MappedFile retain() {
        if (refs <= 0) {
            throw new IllegalStateException(path + ": file closed");
        }
        refs++;
        return this;
    }

    /** Decodes a tensor of this file to float32 (widening / dequantising in Java). */
    float[] readFloats(TensorInfo t) {
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(path + ": tensor '" + t.name() + "' has " + n + " elements (max 2^31)");
        }
        float[] out = new float[(int) n];
        if (n > 0) {
            t.dtype().dequantize(slice(t.offset(), t.byteSize(), "tensor '" + t.name() + "'"), n, out, 0);
        }
        return out;
    }

    /** Drops one reference; the last one closes the channel and unmaps every window. */
    @Override
    public synchronized void close() {
        if (refs <= 0 || --refs > 0) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to flush
        }
        for (MappedByteBuffer b : windows) {
            Unmapper.unmap(b);
        }
        windows.clear();
        windowRanges.clear();
    }
}
