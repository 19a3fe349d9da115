package io.specdec.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one way this project writes a file: into a temporary file beside the target, then an atomic rename, so a
 * reader never sees a half-written checkpoint, matrix or report. The result gets the usual {@code rw-r--r--} mode (a
 * temporary file is created {@code rw-------}); errors name the target, not the temporary file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the bytes of a file. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code path} atomically with {@code body}; on any failure nothing is left behind. */
    public static void write(Path path, Body body) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        } catch (IOException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default applies
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
