/** Checkpoint readers and writers: GGUF, safetensors (single and sharded), llama2.c; memory-mapped, validated, dequantised in Java. */
package io.specdec.io;
