package io.specdec.speculation;

/** Makes a fresh {@link Drafter} for each request (drafters hold per-request state such as a KV cache). */
@FunctionalInterface
public interface DrafterFactory {
    Drafter create();
}
