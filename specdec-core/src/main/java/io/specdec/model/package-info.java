/** The model runtime: {@link io.specdec.model.CausalLM}, the Llama-family {@link io.specdec.model.LlamaModel} on DJL NDArrays, the preallocated {@link io.specdec.model.KvCache} and tree {@link io.specdec.model.AttentionMask}s. */
package io.specdec.model;
