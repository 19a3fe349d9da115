package io.specdec.tokenizer;

import java.util.Arrays;

/** A growable list of primitive ints for encoders (no boxing). Not thread-safe; package-private. */
final class IntList {
    private int[] a = new int[16];
    private int n;

    void add(int v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    int size() {
        return n;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
