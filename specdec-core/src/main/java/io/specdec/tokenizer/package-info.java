/** Tokenizers: SentencePiece-style BPE (GGUF llama, llama2.c), GPT-2 byte-level BPE, Hugging Face tokenizer.json, and streaming UTF-8 decoding. */
package io.specdec.tokenizer;
