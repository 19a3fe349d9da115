package io.specdec.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only file opened for memory-mapped access. Regions are mapped per request, so files larger than 2 GiB work
 * as long as each region (one tensor, or a header) is below 2 GiB. Every region is checked against the file size.
 */
final class MappedFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final long size;

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

    /** Decodes a tensor of this file to float32 (widening / dequantising in Java). */
    float[] readFloats(TensorInfo t) {
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(path + ": tensor '" + t.name() + "' has " + n + " elements (max 2^31)");
        }
        float[] out = new float[(int) n];
        if (n > 0) {
            t.dtype().dequantize(map(t.offset(), t.byteSize(), "tensor '" + t.name() + "'"), n, out, 0);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to flush
        }
    }
}
