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
 * @param deviceOutputs keep the outputs as NDArrays in a manager owned by the {@link ForwardResult} (copied to the
 *     host lazily; the caller must close the result); false (default) = copy to the host before returning
 */
public record ForwardOptions(int exitLayer, boolean lastHidden, int[] hiddenLayers, int logitRows,
        boolean deviceOutputs) {
    /** All layers, all logit rows, no hidden states, host outputs. */
    public static final ForwardOptions DEFAULT = new ForwardOptions(-1, false, new int[0], -1, false);
    /** All layers, only the last row of logits (autoregressive decoding, prefill). */
    public static final ForwardOptions LAST_ROW = new ForwardOptions(-1, false, new int[0], 1, false);

    public ForwardOptions {
        hiddenLayers = hiddenLayers == null ? new int[0] : hiddenLayers.clone();
        if (logitRows != -1 && logitRows != 1) {
            throw new IllegalArgumentException("logitRows must be -1 (all) or 1 (last), found " + logitRows);
        }
    }

    /** The listed hidden layers (a copy). */
    @Override
    public int[] hiddenLayers() {
        return hiddenLayers.clone();
    }

    /** Early exit after {@code layers} layers. */
    public ForwardOptions withExitLayer(int layers) {
        return new ForwardOptions(layers, lastHidden, hiddenLayers, logitRows, deviceOutputs);
    }

    /** Also return the final-norm hidden state. */
    public ForwardOptions withLastHidden() {
        return new ForwardOptions(exitLayer, true, hiddenLayers, logitRows, deviceOutputs);
    }

    /** Also return the final-norm hidden state when {@code on}. */
    public ForwardOptions withLastHidden(boolean on) {
        return new ForwardOptions(exitLayer, on, hiddenLayers, logitRows, deviceOutputs);
    }

    /** Also return the residual stream after these layers (1-based). */
    public ForwardOptions withHiddenLayers(int... layers) {
        return new ForwardOptions(exitLayer, lastHidden, layers, logitRows, deviceOutputs);
    }

    /** Keep outputs on the device (see {@link ForwardResult}); the caller closes the result. */
    public ForwardOptions withDeviceOutputs() {
        return new ForwardOptions(exitLayer, lastHidden, hiddenLayers, logitRows, true);
    }
}
