/**
 * What every file reader of the library shares, below the loaders ({@code io.specdec.io}) and the tokenizers
 * ({@code io.specdec.tokenizer}) that both use it: {@link io.specdec.format.CheckpointException}, the one-line
 * error naming the file, the field and expected vs found, and {@link io.specdec.format.JsonText}, strict JSON text
 * reading (UTF-8 checked, exact integers, bounded nesting).
 */
package io.specdec.format;
