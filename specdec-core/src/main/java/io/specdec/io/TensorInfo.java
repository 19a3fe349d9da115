package io.specdec.io;

import io.specdec.tensor.GgmlType;
import io.specdec.tensor.HalfFloats;
import java.util.Arrays;

/**
 * Where one tensor lies in a checkpoint file.
 *
 * @param name the tensor's name as stored in the file
 * @param shape row-major shape, slowest dimension first (GGUF's {@code ne} reversed), e.g. {@code [out, in]}
 * @param dtype the stored element type
 * @param offset absolute byte offset of the first element in the file
 * @param byteSize number of bytes the tensor occupies
 */
public record TensorInfo(String name, long[] shape, GgmlType dtype, long offset, long byteSize) {
    /** Number of elements (product of the shape). */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @" + offset;
    }
}
