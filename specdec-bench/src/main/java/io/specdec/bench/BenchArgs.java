package io.specdec.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code key=value} arguments of the bench mains, in order; a one-line error names a malformed or missing one. */
public final class BenchArgs {
    private final Map<String, String> values;

    private BenchArgs(Map<String, String> values) {
        this.values = values;
    }

    /** Parses {@code key=value} arguments. */
    public static BenchArgs parse(String[] args) {
        Map<String, String> a = new LinkedHashMap<>();
        for (String s : args) {
            int eq = s.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("argument '" + s + "': expected key=value");
            }
            a.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return new BenchArgs(a);
    }

    /** The value of a required argument. */
    public String require(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing argument " + key + "=…");
        }
        return v;
    }

    /** The value, or {@code fallback} when absent. */
    public String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    /** Whether the argument was given. */
    public boolean has(String key) {
        return values.containsKey(key);
    }
}
