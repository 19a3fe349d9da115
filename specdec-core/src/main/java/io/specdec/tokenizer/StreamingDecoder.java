package io.specdec.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text chunks, holding back bytes until they form complete UTF-8 characters (byte
 * fallback tokens split a character over several tokens). Not thread-safe: one per generation.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private int prev;

    /** @param prevId the last prompt token (the first generated token's left context), or -1 */
    public StreamingDecoder(Tokenizer tokenizer, int prevId) {
        this.tokenizer = tokenizer;
        this.prev = prevId;
    }

    /** Adds one token and returns the text that became complete (possibly empty). */
    public String accept(int id) {
        byte[] b = tokenizer.tokenBytes(prev, id);
        prev = id;
        pending.write(b, 0, b.length);
        byte[] all = pending.toByteArray();
        int complete = completePrefix(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held back (invalid sequences become U+FFFD). */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Decodes a whole sequence as if streamed after {@code prevId}. */
    public static String decodeAll(Tokenizer tokenizer, int prevId, int[] ids) {
        StreamingDecoder d = new StreamingDecoder(tokenizer, prevId);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.accept(id));
        }
        return sb.append(d.flush()).toString();
    }

    /** Length of the longest prefix that does not end inside a (possibly valid) multi-byte sequence. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead byte
            }
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
