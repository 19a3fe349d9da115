package io.specdec.bench.batch;

import io.specdec.tensor.HostKernels;
import io.specdec.tensor.WeightTensor;

/**
 * The host kernel's {@code y = x·Wᵀ} on one thread for T = 1, 4, 8, 16 activation rows against an F32 weight of
 * 64 MiB (so it streams from DRAM as a model's does), for inner sizes K of the twins' projections; prints ms per
 * call and GFLOP/s ({@code 2·N·K·T} per call), twice. What batching can gain is bounded by how the T-row cost grows:
 * {@code java --add-modules jdk.incubator.vector -cp specdec-bench/target/benchmarks.jar
 * io.specdec.bench.batch.MatmulRows}.
 */
public final class MatmulRows {
    private MatmulRows() {}

    public static void main(String[] args) {
        int[] ks = {512, 1024, 2816, 5632};
        int[] ts = {1, 4, 8, 16};
        for (int rep = 0; rep < 2; rep++) {
            for (int k : ks) {
                int n = (16 << 20) / k;
                float[] w = new float[n * k];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (i % 13) * 0.01f;
                }
                WeightTensor wt = WeightTensor.ofFloats("w", w, n, k);
                StringBuilder sb = new StringBuilder("K=" + k + " N=" + n);
                HostKernels.Scratch s = HostKernels.scratch();
                for (int t : ts) {
                    float[] x = new float[t * k];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (i % 7) * 0.1f;
                    }
                    float[] y = new float[t * n];
                    for (int i = 0; i < 2; i++) {
                        HostKernels.matmul(wt, x, t, y, n, 0, 0, n, s);
                    }
                    long t0 = System.nanoTime();
                    int it = 0;
                    while (System.nanoTime() - t0 < 1_000_000_000L) {
                        HostKernels.matmul(wt, x, t, y, n, 0, 0, n, s);
                        it++;
                    }
                    double ms = (System.nanoTime() - t0) / 1e6 / it;
                    sb.append(String.format("  T=%d %.1f ms %.1f GFLOP/s", t, ms, 2.0 * n * k * t / ms / 1e6));
                }
                System.out.println(sb);
            }
        }
    }
}
