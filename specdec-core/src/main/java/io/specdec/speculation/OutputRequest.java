package io.specdec.speculation;

/**
 * What a drafter wants from the target's forward besides logits, at prefill and at every verification.
 *
 * @param lastHidden the final-norm hidden state of every row (what Medusa/Hydra/EAGLE heads read)
 * @param hiddenLayers the residual stream after these layers (1-based), every row (what early exit learns from)
 */
public record OutputRequest(boolean lastHidden, int[] hiddenLayers) {
    /** Logits only. */
    public static final OutputRequest LOGITS = new OutputRequest(false, new int[0]);
    /** Logits and the last hidden state. */
    public static final OutputRequest LAST_HIDDEN = new OutputRequest(true, new int[0]);

    public OutputRequest {
        hiddenLayers = hiddenLayers == null ? new int[0] : hiddenLayers.clone();
    }

    /** A copy of the requested layers. */
    @Override
    public int[] hiddenLayers() {
        return hiddenLayers.clone();
    }

    /** Logits plus the given layers. */
    public static OutputRequest layers(int... layers) {
        return new OutputRequest(false, layers);
    }

    /** The forward options that produce this, with outputs kept on the device. */
    public io.specdec.model.ForwardOptions forwardOptions() {
        return io.specdec.model.ForwardOptions.DEFAULT.withLastHidden(lastHidden).withHiddenLayers(hiddenLayers)
                .withDeviceOutputs();
    }
}
