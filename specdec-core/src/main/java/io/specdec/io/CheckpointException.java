package io.specdec.io;

/**
 * A checkpoint, tokenizer or configuration file could not be read: the message names the file, the tensor or key,
 * and what was expected versus found. Unchecked so that loaders compose; callers that want to recover catch it.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
