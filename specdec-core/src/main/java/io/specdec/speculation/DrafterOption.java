package io.specdec.speculation;

/**
 * One typed option of a drafter family, as the CLI ({@code --name value}), {@code bench}, the suite and
 * {@link DrafterParams} see it.
 *
 * @param name option name without dashes (e.g. {@code "k"}, {@code "draft-model"})
 * @param kind how the value is parsed and checked
 * @param defaultValue the value when absent, or null when the option has no default (required options and
 *     optional ones whose absence means something, documented in {@code description})
 * @param required whether the drafter cannot be built without it
 * @param description one line for {@code --help}, stating units and what the default means
 */
public record DrafterOption(String name, Kind kind, String defaultValue, boolean required, String description) {
    /** Value kinds. */
    public enum Kind {
        /** A whole number; {@code "auto"} is accepted where the description says so. */
        INT,
        /** A number. */
        FLOAT,
        /** A file or directory. */
        PATH,
        /** Free text (names, lists). */
        TEXT,
        /** Present or absent; takes no value. */
        FLAG
    }

    public DrafterOption {
        if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("option names are lower-case words with dashes, found '" + name + "'");
        }
        if (required && defaultValue != null) {
            throw new IllegalArgumentException("option " + name + " is required and has a default");
        }
    }

    /** An optional option with a default. */
    public static DrafterOption of(String name, Kind kind, String defaultValue, String description) {
        return new DrafterOption(name, kind, defaultValue, false, description);
    }

    /** A required option. */
    public static DrafterOption required(String name, Kind kind, String description) {
        return new DrafterOption(name, kind, null, true, description);
    }
}
