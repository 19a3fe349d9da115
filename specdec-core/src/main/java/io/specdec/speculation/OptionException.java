package io.specdec.speculation;

/**
 * A bad value of a registered component's option (a drafter's or a controller's): unknown, missing, unparsable or
 * out of range. A one-line message naming the option, the component and expected vs found; the CLI reports it as a
 * usage error (exit 2), like its own options.
 */
public final class OptionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public OptionException(String message) {
        super(message);
    }
}
