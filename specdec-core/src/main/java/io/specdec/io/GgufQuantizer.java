package io.specdec.io;

import io.specdec.format.CheckpointException;
import io.specdec.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Re-encodes the tensors of a GGUF file into another storage type ({@code convert quantize}), as llama.cpp's
 * {@code llama-quantize} does: every 2-D weight whose rows divide into the type's blocks takes the type; a matrix
 * whose rows do not (a 256-block K-quant on a row of 2,816) falls back to Q8_0 (rows of 32) or F16, as
 * {@code llama-quantize} falls back; 1-D tensors (norms, biases) stay F32. Metadata is copied with its exact GGUF
 * value types and {@code general.file_type} set to llama.cpp's file-type code, so llama.cpp loads the result. One
 * tensor is widened at a time (memory: the largest tensor in float32), and the file is written atomically.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {}

    /** A summary of what was written. */
    public record Result(long tensors, Map<GgmlType, Integer> types, long bytes) {}

    /**
     * Writes {@code in} re-encoded as {@code type} to {@code out}.
     *
     * @param progress one line per tensor (may be null)
     * @throws CheckpointException for a file that is not GGUF or cannot be read
     */
    public static Result quantize(Path in, Path out, GgmlType type, Consumer<String> progress) throws IOException {
        return quantize(in, out, type, Map.of(), progress);
    }

    /**
     * As {@link #quantize(Path, Path, GgmlType, Consumer)}, also setting string metadata (e.g.
     * {@code tokenizer.chat_template}); a key already in the file is replaced.
     */
    public static Result quantize(Path in, Path out, GgmlType type, Map<String, String> set, Consumer<String> progress)
            throws IOException {
        Consumer<String> p = progress == null ? s -> { } : progress;
        Map<GgmlType, Integer> counts = new java.util.EnumMap<>(GgmlType.class);
        try (GgufFile g = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
                if (e.getKey().equals("general.file_type") || e.getKey().equals("general.alignment")
                        || set.containsKey(e.getKey())) {
                    continue;
                }
                int[] t = g.metadataType(e.getKey());
                w.putMetadataTyped(e.getKey(), t[0], t[1], e.getValue());
            }
            w.putMetadataTyped("general.file_type", 4, -1, (long) fileType(type));
            set.forEach(w::putMetadata);
            int i = 0;
            int n = g.tensors().size();
            for (TensorInfo t : g.tensors()) {
                GgmlType target = typeFor(t.shape(), type);
                counts.merge(target, 1, Integer::sum);
                int k = ++i;
                w.putTensor(t.name(), t.shape(), target, () -> {
                    p.accept("[" + k + "/" + n + "] " + t.name() + " " + t.dtype() + " -> " + target);
                    return g.readFloats(t);
                });
            }
            w.write(out);
        }
        return new Result(counts.values().stream().mapToInt(Integer::intValue).sum(), counts,
                java.nio.file.Files.size(out));
    }

    /** The type a tensor of {@code shape} gets when the file is quantised to {@code type}. */
    static GgmlType typeFor(long[] shape, GgmlType type) {
        if (shape.length < 2) {
            return GgmlType.F32;
        }
        long cols = shape[shape.length - 1];
        if (cols % type.blockSize() == 0) {
            return type;
        }
        return cols % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F16;
    }

    /** llama.cpp's {@code llama_ftype} code for a file mostly of {@code type}. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> 14; // MOSTLY_Q4_K_S: every matrix Q4_K
            case Q6_K -> 18;
            case BF16 -> 32;
        };
    }
}
