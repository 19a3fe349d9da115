/**
 * A seeded mutation fuzzer over GGUF, llama2.c and Hugging Face checkpoints (config.json, tokenizer.json,
 * safetensors), run in a worker JVM so that native aborts and hangs are classified; {@code specdec fuzz}.
 */
package io.specdec.cli.fuzz;
