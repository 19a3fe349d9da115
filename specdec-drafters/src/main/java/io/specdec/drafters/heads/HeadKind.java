package io.specdec.drafters.heads;

/** The draft-head families that read the target's own features (ALGORITHMS.md §3, §4, §11). */
public enum HeadKind {
    /** Medusa-1: independent residual heads on the last hidden state, one per future position. */
    MEDUSA,
    /** Hydra: head k also reads the embeddings of the tokens drafted before it on the branch. */
    HYDRA,
    /** EAGLE-style: one decoder layer autoregressing on the target's features. */
    EAGLE;

    /** The lower-case name used in files, options and reports. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The kind named {@code s}; a one-line error listing the kinds otherwise. */
    public static HeadKind of(String s) {
        for (HeadKind k : values()) {
            if (k.id().equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown head kind '" + s + "' (medusa, hydra, eagle)");
    }
}
