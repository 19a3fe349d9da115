package io.specdec.model;

/**
 * What a forward pass computes and returns besides logits.
 *
 * @param exitLayer run only layers {@code [0, exitLayer)} then the final norm and LM head (early exit);
 *     {@code -1} (default) = all layers
 * @param lastHidden return the final-norm output (the LM head's input), {@code [T, dim]}
 * @param hiddenLayers return the residual stream after each listed layer (1-based: 1 = after the first layer),
 *     {@code [T, dim]} each; empty for none
 * @param logitRows which rows of logits to return: {@code -1} = all T rows (default), {@code 1} = only the last
 */
public record ForwardOptions(int exitLayer, boolean lastHidden, int[] hiddenLayers, int logitRows) {
    /** All layers, all logit rows, no hidden states. */
    public static final ForwardOptions DEFAULT = new ForwardOptions(-1, false, new int[0], -1);
    /** All layers, only the last row of logits (autoregressive decoding, prefill). */
    public static final ForwardOptions LAST_ROW = new ForwardOptions(-1, false, new int[0], 1);

    public ForwardOptions {
        hiddenLayers = hiddenLayers == null ? new int[0] : hiddenLayers.clone();
        if (logitRows != -1 && logitRows != 1) {
            throw new IllegalArgumentException("logitRows must be -1 (all) or 1 (last), found " + logitRows);
        }
    }

    /** Early exit after {@code layers} layers. */
    public ForwardOptions withExitLayer(int layers) {
        return new ForwardOptions(layers, lastHidden, hiddenLayers, logitRows);
    }

    /** Also return the final-norm hidden state. */
    public ForwardOptions withLastHidden() {
        return new ForwardOptions(exitLayer, true, hiddenLayers, logitRows);
    }

    /** Also return the residual stream after these layers (1-based). */
    public ForwardOptions withHiddenLayers(int... layers) {
        return new ForwardOptions(exitLayer, lastHidden, layers, logitRows);
    }
}
