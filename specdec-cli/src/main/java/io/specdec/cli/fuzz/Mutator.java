package io.specdec.cli.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutations of checkpoint bytes and JSON files (AFL-style byte operations biased towards headers; structural
 * JSON edits: a value replaced by another type or an extreme number, a key removed, an element duplicated). The same
 * seed always gives the same mutant. Stateless.
 */
public final class Mutator {
    private static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 16, 63, 64, 127, 128, 255, 256, 32767, 32768,
        65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFFFFFFL, 1L << 32, (1L << 32) + 8, Long.MAX_VALUE,
        Long.MIN_VALUE, 1L << 40};

    private Mutator() {}

    /** One to four byte-level operations on a copy of {@code in}; header bytes (first 4 KiB) are hit half the time. */
    public static byte[] bytes(byte[] in, SplittableRandom r) {
        byte[] b = in.clone();
        int ops = 1 + r.nextInt(4);
        for (int i = 0; i < ops && b.length > 0; i++) {
            int at = r.nextBoolean() ? r.nextInt(Math.min(b.length, 4096)) : r.nextInt(b.length);
            switch (r.nextInt(7)) {
                case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[at] = (byte) INTERESTING[r.nextInt(INTERESTING.length)];
                case 2, 3 -> {
                    int width = r.nextBoolean() ? 4 : 8;
                    long v = INTERESTING[r.nextInt(INTERESTING.length)];
                    for (int k = 0; k < width && at + k < b.length; k++) {
                        b[at + k] = (byte) (v >>> (8 * k));
                    }
                }
                case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncate
                case 5 -> { // delete a chunk
                    int len = Math.min(b.length - at, 1 + r.nextInt(64));
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
                default -> { // insert random bytes
                    int len = 1 + r.nextInt(32);
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at);
                    for (int k = 0; k < len; k++) {
                        c[at + k] = (byte) r.nextInt(256);
                    }
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
            }
        }
        return b;
    }

    /** One to three structural edits of a JSON document; if it does not parse, byte mutations instead. */
    public static byte[] json(byte[] in, SplittableRandom r) {
        JsonElement root;
        try {
            root = JsonParser.parseString(new String(in, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return bytes(in, r);
        }
        int ops = 1 + r.nextInt(3);
        for (int i = 0; i < ops; i++) {
            List<Slot> slots = new ArrayList<>();
            collect(root, slots, 0);
            if (slots.isEmpty()) {
                break;
            }
            slots.get(r.nextInt(slots.size())).mutate(r);
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A place in the tree: a key of an object or an index of an array. */
    private record Slot(JsonElement parent, String key, int index) {
        JsonElement get() {
            return key != null ? parent.getAsJsonObject().get(key) : parent.getAsJsonArray().get(index);
        }

        void set(JsonElement v) {
            if (key != null) {
                parent.getAsJsonObject().add(key, v);
            } else {
                parent.getAsJsonArray().set(index, v);
            }
        }

        void mutate(SplittableRandom r) {
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (key != null) {
                        parent.getAsJsonObject().remove(key);
                    } else {
                        parent.getAsJsonArray().remove(index);
                    }
                }
                case 1 -> set(JsonNull.INSTANCE);
                case 2 -> set(new JsonPrimitive(INTERESTING[r.nextInt(INTERESTING.length)]));
                case 3 -> set(new JsonPrimitive(new String[] {"", "<nope>", "x", "Bogus", "▁", "  ", "\u0000",
                    "a b c", "99999999999999999999"}[r.nextInt(9)]));
                case 4 -> set(new JsonPrimitive(r.nextBoolean()));
                case 5 -> set(r.nextBoolean() ? new JsonArray() : new JsonObject());
                case 6 -> set(new JsonPrimitive(new double[] {-0.0, 0.5, 3.5, 1e30, -1e30, 1e-45, Double.MIN_VALUE}
                        [r.nextInt(7)]));
                default -> {
                    JsonElement v = get();
                    if (key == null) {
                        parent.getAsJsonArray().add(v.deepCopy());
                    } else {
                        set(v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                                ? new JsonPrimitive(v.getAsLong() + (r.nextBoolean() ? 1 : -1)) : v);
                    }
                }
            }
        }
    }

    private static void collect(JsonElement e, List<Slot> out, int depth) {
        if (depth > 12) {
            return;
        }
        if (e.isJsonObject()) {
            for (String k : new ArrayList<>(e.getAsJsonObject().keySet())) {
                out.add(new Slot(e, k, -1));
                collect(e.getAsJsonObject().get(k), out, depth + 1);
            }
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            // long arrays (vocabularies, merges): sample a few indices
            int n = a.size();
            for (int i = 0; i < Math.min(n, 8); i++) {
                int idx = n <= 8 ? i : (int) ((long) i * n / 8);
                out.add(new Slot(e, null, idx));
                collect(a.get(idx), out, depth + 1);
            }
        }
    }
}
