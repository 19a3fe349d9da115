package io.specdec.model;

/**
 * How a checkpoint stretches RoPE beyond its training context. References: Hugging Face transformers
 * {@code modeling_rope_utils} ({@code _compute_linear_scaling_rope_parameters}, {@code _compute_llama3_parameters},
 * {@code _compute_yarn_parameters}), llama.cpp {@code ggml_rope_yarn_corr_dims} / {@code rope_yarn} and its
 * {@code rope_freqs} tensor (Llama-3.1 GGUFs carry per-frequency divisors instead of the parameters).
 *
 * <ul>
 *   <li>{@code linear} (position interpolation): every inverse frequency divided by {@code factor}.
 *   <li>{@code llama3}: frequencies whose wavelength exceeds {@code originalContext / lowFreqFactor} are divided by
 *       {@code factor}, those shorter than {@code originalContext / highFreqFactor} kept, those between blended
 *       linearly in {@code originalContext / wavelength}.
 *   <li>{@code yarn}: a ramp between interpolated ({@code /factor}) and original frequencies over the dimensions
 *       between the correction range of {@code betaFast}..{@code betaSlow} rotations at {@code originalContext}, and
 *       cos/sin multiplied by {@link #attentionFactor()} ({@code 0.1·ln(factor) + 1} unless given).
 *   <li>{@code freqFactors}: explicit divisors per frequency (GGUF {@code rope_freqs.weight}).
 * </ul>
 *
 * @param type {@code none}, {@code linear}, {@code llama3}, {@code yarn} or {@code factors}
 * @param factor context stretch (≥ 1; 1 for none)
 * @param originalContext the training context the scaling is relative to (llama3, yarn); 0 if unused
 * @param lowFreqFactor llama3's {@code low_freq_factor} (default 1)
 * @param highFreqFactor llama3's {@code high_freq_factor} (default 4)
 * @param betaFast yarn's {@code beta_fast} (default 32)
 * @param betaSlow yarn's {@code beta_slow} (default 1)
 * @param attention yarn's attention factor, or 0 to derive it from {@code factor}
 * @param freqFactors per-frequency divisors ({@code headDim/2} of them) for {@code factors}; else null
 */
public record RopeScaling(String type, double factor, int originalContext, double lowFreqFactor,
        double highFreqFactor, double betaFast, double betaSlow, double attention, float[] freqFactors) {

    /** No scaling. */
    public static final RopeScaling NONE = new RopeScaling("none", 1, 0, 1, 4, 32, 1, 0, null);

    public RopeScaling {
        switch (type) {
            case "none":
                break;
            case "linear":
            case "llama3":
            case "yarn":
                if (!(factor >= 1) || Double.isInfinite(factor)) {
                    throw new IllegalArgumentException("rope scaling factor must be >= 1, found " + factor);
                }
                if (!type.equals("linear") && originalContext <= 0) {
                    throw new IllegalArgumentException("rope scaling '" + type + "' needs original_max_position_"
                            + "embeddings > 0, found " + originalContext);
                }
                if (type.equals("llama3") && !(highFreqFactor > lowFreqFactor && lowFreqFactor > 0)) {
                    throw new IllegalArgumentException("llama3 rope scaling needs high_freq_factor > low_freq_factor"
                            + " > 0, found " + highFreqFactor + " and " + lowFreqFactor);
                }
                break;
            case "factors":
                if (freqFactors == null || freqFactors.length == 0) {
                    throw new IllegalArgumentException("rope frequency factors are missing");
                }
                for (float f : freqFactors) {
                    if (!(f > 0) || Float.isInfinite(f)) {
                        throw new IllegalArgumentException("rope frequency factor " + f + " is not a positive number");
                    }
                }
                freqFactors = freqFactors.clone();
                break;
            default:
                throw new IllegalArgumentException("rope scaling type must be one of none, linear, llama3, yarn;"
                        + " found '" + type + "'");
        }
    }

    /** Linear (position interpolation) by {@code factor}. */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 1, 4, 32, 1, 0, null);
    }

    /** Llama-3.1's scaling. */
    public static RopeScaling llama3(double factor, int originalContext, double lowFreqFactor,
            double highFreqFactor) {
        return new RopeScaling("llama3", factor, originalContext, lowFreqFactor, highFreqFactor, 32, 1, 0,
                null);
    }

    /** YaRN; {@code attention} 0 derives it from the factor. */
    public static RopeScaling yarn(double factor, int originalContext, double betaFast, double betaSlow,
            double attention) {
        return new RopeScaling("yarn", factor, originalContext, 1, 4, betaFast, betaSlow, attention, null);
    }

    /** Explicit per-frequency divisors (GGUF {@code rope_freqs.weight}). */
    public static RopeScaling factors(float[] divisors) {
        return new RopeScaling("factors", 1, 0, 1, 4, 32, 1, 0, divisors);
    }

    /** The factor cos and sin are multiplied by (yarn; 1 otherwise). */
    public double attentionFactor() {
        if (!type.equals("yarn")) {
            return 1;
        }
        if (attention > 0) {
            return attention;
        }
        return factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
    }

    /**
     * The inverse frequency of each of the {@code headDim/2} rotation pairs, after scaling.
     *
     * @param theta the RoPE base
     * @param base the unscaled inverse frequencies {@code theta^(-2i/headDim)} as the runtime computes them
     */
    public double[] apply(double theta, int headDim, double[] base) {
        int half = headDim / 2;
        double[] inv = base.clone();
        switch (type) {
            case "linear":
                for (int i = 0; i < half; i++) {
                    inv[i] = base[i] / factor;
                }
                break;
            case "factors":
                if (freqFactors.length != half) {
                    throw new IllegalArgumentException("rope_freqs has " + freqFactors.length + " factors, the model's"
                            + " heads need " + half);
                }
                for (int i = 0; i < half; i++) {
                    inv[i] = base[i] / freqFactors[i];
                }
                break;
            case "llama3": {
                double lowWavelen = originalContext / lowFreqFactor;
                double highWavelen = originalContext / highFreqFactor;
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / base[i];
                    if (wavelen < highWavelen) {
                        inv[i] = base[i];
                    } else if (wavelen > lowWavelen) {
                        inv[i] = base[i] / factor;
                    } else {
                        double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        inv[i] = (1 - smooth) * base[i] / factor + smooth * base[i];
                    }
                }
                break;
            }
            case "yarn": {
                double low = Math.max(Math.floor(correctionDim(betaFast, headDim, theta)), 0);
                double high = Math.min(Math.ceil(correctionDim(betaSlow, headDim, theta)), headDim - 1);
                if (low == high) {
                    high += 0.001;
                }
                for (int i = 0; i < half; i++) {
                    double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
                    double extrapolation = 1 - ramp;
                    inv[i] = base[i] / factor * (1 - extrapolation) + base[i] * extrapolation;
                }
                break;
            }
            default:
                break;
        }
        return inv;
    }

    /** The dimension at which a frequency makes {@code rotations} turns over the original context. */
    private double correctionDim(double rotations, int headDim, double theta) {
        return headDim * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && r.type.equals(type) && r.factor == factor
                && r.originalContext == originalContext && r.lowFreqFactor == lowFreqFactor
                && r.highFreqFactor == highFreqFactor && r.betaFast == betaFast && r.betaSlow == betaSlow
                && r.attention == attention && java.util.Arrays.equals(r.freqFactors, freqFactors);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(type, factor, originalContext) * 31 + java.util.Arrays.hashCode(freqFactors);
    }

    @Override
    public String toString() {
        switch (type) {
            case "none":
                return "none";
            case "linear":
                return "linear(x" + factor + ")";
            case "llama3":
                return "llama3(x" + factor + ", original " + originalContext + ", low " + lowFreqFactor + ", high "
                        + highFreqFactor + ")";
            case "yarn":
                return "yarn(x" + factor + ", original " + originalContext + ", beta " + betaFast + "/" + betaSlow
                        + ", attention " + attentionFactor() + ")";
            default:
                return "factors(" + freqFactors.length + ")";
        }
    }
}
