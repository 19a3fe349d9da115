package io.specdec.speculation;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Option values for one drafter, checked against its {@link DrafterOption}s when built: every name must be one of the
 * drafter's options, every value must parse as its kind, every required option must be present. Errors are one line
 * naming the option, the drafter and expected vs found. Immutable.
 */
public final class DrafterParams {
    private final String drafter;
    private final String kind;
    private final Map<String, DrafterOption> options = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * @param drafter the drafter's name (for messages)
     * @param options its options
     * @param given option name → value as text ({@code "true"} for flags)
     */
    public DrafterParams(String drafter, List<DrafterOption> options, Map<String, String> given) {
        this("drafter", drafter, options, given);
    }

    /**
     * Options of a registered component other than a drafter (a length controller): messages name it as
     * {@code kind name}.
     */
    public DrafterParams(String kind, String name, List<DrafterOption> options, Map<String, String> given) {
        this.drafter = name;
        this.kind = kind;
        for (DrafterOption o : options) {
            this.options.put(o.name(), o);
        }
        for (Map.Entry<String, String> e : given.entrySet()) {
            DrafterOption o = this.options.get(e.getKey());
            if (o == null) {
                throw new OptionException("option --" + e.getKey() + " does not apply to " + kind + " " + drafter
                        + " (its options: " + (options.isEmpty() ? "none" : String.join(", ",
                        options.stream().map(x -> "--" + x.name()).toList())) + ")");
            }
            check(o, e.getValue());
            values.put(e.getKey(), e.getValue());
        }
        for (DrafterOption o : options) {
            if (o.required() && !values.containsKey(o.name())) {
                throw new OptionException(kind + " " + drafter + " needs --" + o.name() + " " + o.kind()
                        + " (" + o.description() + ")");
            }
        }
    }

    private void check(DrafterOption o, String v) {
        String what = "--" + o.name() + " (" + kind + " " + drafter + ")";
        if (v == null) {
            throw new OptionException(what + " needs a value");
        }
        switch (o.kind()) {
            case INT -> {
                if (!v.equals("auto")) {
                    try {
                        Integer.parseInt(v.trim());
                    } catch (NumberFormatException e) {
                        throw new OptionException(what + " must be an integer, found '" + v + "'");
                    }
                }
            }
            case FLOAT -> {
                try {
                    float f = Float.parseFloat(v.trim());
                    if (!Float.isFinite(f)) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new OptionException(what + " must be a finite number, found '" + v + "'");
                }
            }
            case FLAG -> {
                if (!v.equals("true") && !v.equals("false")) {
                    throw new OptionException(what + " is a flag (true/false), found '" + v + "'");
                }
            }
            default -> {
                if (v.isBlank()) {
                    throw new OptionException(what + " must not be empty");
                }
            }
        }
    }

    /** The drafter these values are for. */
    public String drafter() {
        return drafter;
    }

    /** The value as given, else the default, else null. */
    public String get(String name) {
        DrafterOption o = options.get(name);
        if (o == null) {
            throw new OptionException(kind + " " + drafter + " has no option " + name);
        }
        String v = values.get(name);
        return v != null ? v : o.defaultValue();
    }

    /** Whether the user gave the option. */
    public boolean isSet(String name) {
        return values.containsKey(name);
    }

    /** Whether the value is the word {@code auto}. */
    public boolean isAuto(String name) {
        return "auto".equals(get(name));
    }

    /** An INT option (not {@code auto}). */
    public int getInt(String name) {
        String v = get(name);
        if (v == null || v.equals("auto")) {
            throw new OptionException("--" + name + " (" + kind + " " + drafter + ") has no numeric value");
        }
        return Integer.parseInt(v.trim());
    }

    /** An INT option that must be at least {@code min}. */
    public int getInt(String name, int min) {
        int v = getInt(name);
        if (v < min) {
            throw new OptionException("--" + name + " (" + kind + " " + drafter + ") must be >= " + min
                    + ", found " + v);
        }
        return v;
    }

    /** An INT option in {@code [min, max]}. */
    public int getInt(String name, int min, int max) {
        int v = getInt(name, min);
        if (v > max) {
            throw new OptionException("--" + name + " (" + kind + " " + drafter + ") must be <= " + max
                    + ", found " + v);
        }
        return v;
    }

    /** A FLOAT option. */
    public float getFloat(String name) {
        return Float.parseFloat(get(name).trim());
    }

    /**
     * A FLOAT option strictly between {@code lo} and {@code hi}, or null when absent and without default.
     *
     * @throws IllegalArgumentException naming the option and the range otherwise
     */
    public Float getFloat(String name, float lo, float hi) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        float f = Float.parseFloat(v.trim());
        if (!(f > lo && f < hi)) {
            throw new OptionException("--" + name + " (" + kind + " " + drafter + ") must be in (" + lo
                    + ", " + hi + "), found " + v);
        }
        return f;
    }

    /** A FLAG option. */
    public boolean flag(String name) {
        return "true".equals(get(name));
    }

    /** A PATH option, or null when absent and without default. */
    public Path getPath(String name) {
        String v = get(name);
        return v == null ? null : Path.of(v);
    }

    /** The values given (not the defaults). */
    public Map<String, String> given() {
        return Map.copyOf(values);
    }
}
