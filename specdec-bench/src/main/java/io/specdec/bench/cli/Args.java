package io.specdec.bench.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Minimal {@code --key value} / {@code --flag} parser that rejects unknown options with a clear message. */
final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    Args(String[] argv, int from, Set<String> options, Set<String> flags) {
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String key = a.substring(2);
                String val = null;
                int eq = key.indexOf('=');
                if (eq >= 0) {
                    val = key.substring(eq + 1);
                    key = key.substring(0, eq);
                }
                if (flags.contains(key)) {
                    values.put(key, "true");
                } else if (options.contains(key)) {
                    if (val == null) {
                        if (i + 1 >= argv.length) {
                            throw new UsageException("option --" + key + " needs a value");
                        }
                        val = argv[++i];
                    }
                    values.put(key, val);
                } else {
                    throw new UsageException("unknown option --" + key);
                }
            } else {
                positional.add(a);
            }
        }
    }

    String get(String key) {
        return values.get(key);
    }

    String get(String key, String dflt) {
        return values.getOrDefault(key, dflt);
    }

    boolean flag(String key) {
        return values.containsKey(key);
    }

    int getInt(String key, int dflt) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be an integer, found '" + v + "'");
        }
    }

    float getFloat(String key, float dflt) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be a number, found '" + v + "'");
        }
    }

    List<String> positional() {
        return positional;
    }

    /** Bad command line: printed without a stack trace, exit code 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String m) {
            super(m);
        }
    }
}
