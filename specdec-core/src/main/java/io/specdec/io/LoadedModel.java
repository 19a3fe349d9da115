package io.specdec.io;

import io.specdec.model.LlamaConfig;
import io.specdec.model.LlamaWeights;
import io.specdec.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A checkpoint read into host memory: config, canonical weights (already in the runtime's half-split RoPE layout)
 * and the tokenizer that came with it.
 *
 * @param path the file or directory read
 * @param format "gguf", "hf" or "llama2c"
 */
public record LoadedModel(Path path, String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {}
