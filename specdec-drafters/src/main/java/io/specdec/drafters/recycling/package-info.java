/**
 * Token Recycling: the adjacency matrix, static tree templates, the drafter and its registration as {@code recycling}.
 */
package io.specdec.drafters.recycling;
