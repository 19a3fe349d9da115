/** Generation API: configuration, streaming {@link io.specdec.generate.Generation} with stop conditions and stats, and autoregressive decoding. */
package io.specdec.generate;
