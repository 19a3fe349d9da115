/**
 * SpecDec++ (Huang et al. 2024, arXiv:2405.19715; reference Kaffaljidhmah2/SpecDec_pp; ALGORITHMS.md §7): an
 * acceptance-prediction head on the draft model's last hidden state, its trainer, and the threshold controller that
 * stops drafting when the predicted probability that the round has a rejection exceeds {@code h}.
 */
package io.specdec.drafters.specdecpp;
