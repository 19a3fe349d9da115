package io.specdec.train;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The self-distillation sample format: one binary file of token sequences, optionally with the target's top-k
 * logits at every position. All integers and floats little-endian.
 *
 * <pre>
 * header (24 bytes): magic "SDSAMPL1" (8 ASCII bytes), int32 version = 1, int32 vocab, int32 topK (0 = ids only),
 *                    int32 tokenizer: the fingerprint of the token table the ids belong to
 *                    ({@code Vocabularies.fingerprint}; 0 = unknown, as in files written before it was recorded)
 * record (repeated): int32 length L (1..2^24), int32 promptLength P (0..L), L x int32 token ids,
 *                    when topK &gt; 0: (L-1) x topK int32 ids then (L-1) x topK float32 logits — row j holds the
 *                    target's k largest logits (descending) at position j, i.e. of the distribution that produced
 *                    ids[j+1] (raw logits, before temperature or any processor)
 * </pre>
 *
 * <p>Records are appended one at a time, so a file cut by a crash holds whole records and at most one partial record
 * at its end; {@link #openForAppend} drops that partial record and reports how many whole ones there are, which is how
 * sampling resumes. Readers reject bad magic, versions, lengths and ids out of the vocabulary with a one-line error
 * naming the file and the record.
 */
public final class SampleFile {
    /** Magic bytes at offset 0. */
    public static final String MAGIC = "SDSAMPL1";
    /** Format version. */
    public static final int VERSION = 1;
    private static final int HEADER = 24;
    private static final int MAX_LENGTH = 1 << 24;

    private SampleFile() {}

    /**
     * One sequence.
     *
     * @param promptLength how many leading ids are the prompt (BOS included)
     * @param ids prompt then continuation
     * @param topIds {@code [(ids.length - 1) * topK]} or {@code null}
     * @param topLogits {@code [(ids.length - 1) * topK]} or {@code null}
     */
    public record Sample(int promptLength, int[] ids, int[] topIds, float[] topLogits) {
        /** Ids-only sample. */
        public Sample(int promptLength, int[] ids) {
            this(promptLength, ids, null, null);
        }
    }

    /**
     * Header facts.
     *
     * @param tokenizer fingerprint of the token table ({@code io.specdec.tokenizer.Vocabularies#fingerprint}); 0 =
     *     unknown
     */
    public record Header(int vocab, int topK, int tokenizer) {
        /** A header without a tokenizer fingerprint. */
        public Header(int vocab, int topK) {
            this(vocab, topK, 0);
        }

        /**
         * Checks the ids were made with the token table {@code fingerprint} (skipped when either is unknown).
         *
         * @param file the sample file (for the message)
         * @param whose what the fingerprint belongs to (e.g. "the target's tokenizer")
         * @throws IllegalArgumentException naming the file and both fingerprints
         */
        public void requireTokenizer(Path file, int fingerprint, String whose) {
            if (tokenizer != 0 && fingerprint != 0 && tokenizer != fingerprint) {
                throw new IllegalArgumentException(file + ": samples were made with another tokenizer (token table"
                        + " fingerprint " + Integer.toHexString(tokenizer) + ", " + whose + " has "
                        + Integer.toHexString(fingerprint) + "): the same vocabulary size, different tokens");
            }
        }
    }

    /** Appends records to a sample file; {@link #close()} flushes. Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final Path path;
        private final OutputStream out;
        private final int vocab;
        private final int topK;
        private final long existing;

        private Writer(Path path, OutputStream out, int vocab, int topK, long existing) {
            this.path = path;
            this.out = out;
            this.vocab = vocab;
            this.topK = topK;
            this.existing = existing;
        }

        /** Whole records already in the file when it was opened. */
        public long existingRecords() {
            return existing;
        }

        /** Appends one record (and flushes it, so a crash loses at most the record being written). */
        public void write(Sample s) throws IOException {
            int l = s.ids().length;
            if (l < 1 || l > MAX_LENGTH || s.promptLength() < 0 || s.promptLength() > l) {
                throw new IllegalArgumentException("sample of " + l + " ids with prompt length " + s.promptLength());
            }
            boolean withTop = topK > 0;
            if (withTop && (s.topIds() == null || s.topIds().length != (long) (l - 1) * topK
                    || s.topLogits() == null || s.topLogits().length != (long) (l - 1) * topK)) {
                throw new IllegalArgumentException(path + " stores top-" + topK + " logits: the sample needs "
                        + (l - 1) + " x " + topK + " of them");
            }
            ByteBuffer b = ByteBuffer.allocate(8 + 4 * l + (withTop ? 8 * (l - 1) * topK : 0))
                    .order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(l).putInt(s.promptLength());
            for (int id : s.ids()) {
                checkId(id, vocab, path, existing);
                b.putInt(id);
            }
            if (withTop) {
                for (int id : s.topIds()) {
                    b.putInt(id);
                }
                for (float f : s.topLogits()) {
                    b.putFloat(f);
                }
            }
            out.write(b.array());
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /**
     * Opens {@code path} for appending: creates it with a header when absent; otherwise checks that its header
     * says {@code vocab} and {@code topK}, counts its whole records and cuts off a partial last record.
     *
     * @throws IllegalArgumentException when the existing file's header differs or is not a sample file
     */
    public static Writer openForAppend(Path path, int vocab, int topK) throws IOException {
        return openForAppend(path, vocab, topK, 0);
    }

    /**
     * As {@link #openForAppend(Path, int, int)}, recording the token table's fingerprint {@code tokenizer} (0 =
     * unknown) in a new file's header, and checking it against an existing file's.
     */
    public static Writer openForAppend(Path path, int vocab, int topK, int tokenizer) throws IOException {
        if (vocab < 1 || topK < 0 || topK > vocab) {
            throw new IllegalArgumentException("sample file needs vocab >= 1 and 0 <= topK <= vocab, found vocab "
                    + vocab + ", topK " + topK);
        }
        long records = 0;
        if (Files.exists(path) && Files.size(path) > 0) {
            Header h = header(path);
            if (h.vocab() != vocab || h.topK() != topK) {
                throw new IllegalArgumentException(path + ": existing sample file has vocab " + h.vocab() + ", topK "
                        + h.topK() + "; this run wants vocab " + vocab + ", topK " + topK);
            }
            h.requireTokenizer(path, tokenizer, "this run's tokenizer");
            long end = HEADER;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                ByteBuffer two = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                while (end + 8 <= size) {
                    two.clear();
                    ch.read(two, end);
                    int l = two.getInt(0);
                    if (l < 1 || l > MAX_LENGTH) {
                        break;
                    }
                    long next = end + 8 + 4L * l + (topK > 0 ? 8L * (l - 1) * topK : 0);
                    if (next > size) {
                        break;
                    }
                    end = next;
                    records++;
                }
                ch.truncate(end);
            }
        } else {
            ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(VERSION).putInt(vocab).putInt(topK)
                    .putInt(tokenizer);
            Files.write(path, b.array());
        }
        OutputStream os = new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.APPEND), 1 << 16);
        return new Writer(path, os, vocab, topK, records);
    }

    /** Reads and checks the header. */
    public static Header header(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] h = in.readNBytes(HEADER);
            if (h.length < HEADER) {
                throw new IllegalArgumentException(path + ": not a sample file (" + h.length + " bytes, the header"
                        + " alone is " + HEADER + ")");
            }
            String magic = new String(h, 0, 8, java.nio.charset.StandardCharsets.US_ASCII);
            if (!magic.equals(MAGIC)) {
                throw new IllegalArgumentException(path + ": not a sample file (magic '" + printable(magic)
                        + "', expected '" + MAGIC + "')");
            }
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.getInt(8);
            int vocab = b.getInt(12);
            int topK = b.getInt(16);
            if (version != VERSION) {
                throw new IllegalArgumentException(path + ": sample format version " + version + ", expected "
                        + VERSION);
            }
            if (vocab < 1 || topK < 0 || topK > vocab) {
                throw new IllegalArgumentException(path + ": header says vocab " + vocab + ", topK " + topK);
            }
            return new Header(vocab, topK, b.getInt(20));
        }
    }

    /** Reads every whole record (a partial last record is ignored, as after a crash). */
    public static List<Sample> read(Path path) throws IOException {
        Header h = header(path);
        List<Sample> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(path),
                1 << 16))) {
            in.skipNBytes(HEADER);
            long size = Files.size(path);
            long pos = HEADER;
            while (true) {
                int l;
                try {
                    l = Integer.reverseBytes(in.readInt());
                } catch (EOFException e) {
                    break;
                }
                long index = out.size();
                if (l < 1 || l > MAX_LENGTH) {
                    throw new IllegalArgumentException(path + ": record " + index + " has length " + l + ", expected"
                            + " 1.." + MAX_LENGTH);
                }
                // sized as longs before anything is read or allocated: a record longer than the rest of the file is the
                // partial last record of a crash
                long logits = (long) (l - 1) * h.topK();
                long need = 8 + 4L * l + 8 * logits;
                if (pos + need > size) {
                    break;
                }
                if (logits > Integer.MAX_VALUE / 4) {
                    throw new IllegalArgumentException(path + ": record " + index + " needs " + logits
                            + " teacher logits, more than one record may hold");
                }
                pos += need;
                try {
                    int p = Integer.reverseBytes(in.readInt());
                    if (p < 0 || p > l) {
                        throw new IllegalArgumentException(path + ": record " + index + " has prompt length " + p
                                + " for " + l + " ids");
                    }
                    int[] ids = readInts(in, l);
                    for (int id : ids) {
                        checkId(id, h.vocab(), path, index);
                    }
                    int[] topIds = null;
                    float[] topLogits = null;
                    if (h.topK() > 0) {
                        topIds = readInts(in, (int) logits);
                        for (int id : topIds) {
                            checkId(id, h.vocab(), path, index);
                        }
                        topLogits = new float[(int) logits];
                        for (int i = 0; i < topLogits.length; i++) {
                            topLogits[i] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
                        }
                    }
                    out.add(new Sample(p, ids, topIds, topLogits));
                } catch (EOFException e) {
                    break; // partial last record
                }
            }
        }
        return out;
    }

    private static int[] readInts(DataInputStream in, int n) throws IOException {
        byte[] raw = in.readNBytes(4 * n);
        if (raw.length < 4 * n) {
            throw new EOFException();
        }
        int[] r = new int[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(r);
        return r;
    }

    private static void checkId(int id, int vocab, Path path, long record) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException(path + ": record " + record + " holds token id " + id
                    + ", outside the vocabulary 0.." + (vocab - 1));
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            b.append(ch >= 32 && ch < 127 ? ch : '?');
        }
        return b.toString();
    }
}
