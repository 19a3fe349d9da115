/**
 * Speculative decoding: the drafter SPI ({@link io.specdec.speculation.Drafter}, {@link io.specdec.speculation.PromptContext}, {@link io.specdec.speculation.DraftContext}, {@link io.specdec.speculation.RoundLayout}, {@link io.specdec.speculation.RoundResult}), the drafter registry ({@link io.specdec.speculation.DrafterProvider}, {@link io.specdec.speculation.Drafters}), draft trees, verifiers and acceptance policies as interfaces, length controllers, cost curves and sizing, and the decode loop ({@link io.specdec.speculation.SpeculativeDecoder}).
 */
package io.specdec.speculation;
