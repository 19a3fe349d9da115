package io.specdec.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.specdec.engine.SpecdecEngine;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One projection {@code y = x·Wᵀ} ({@code x [T, K]}, {@code W [N, K]}) phrased several ways, against the memory-bound
 * floor of reading W once from DRAM (enough copies of W are cycled that they cannot stay in cache) ({@code form=sum}: one streaming reduction over the same bytes). The shapes are the
 * cost twins' projections: {@code qkv25} 1024×512, {@code gu25} 2752×512, {@code down25} 512×1376,
 * {@code gu150} 5632×1024, {@code down150} 1024×2816.
 *
 * <p>Forms: {@code linear} (PyTorch {@code linear}, W row-major {@code [N, K]}: the runtime's form), {@code matmul}
 * ({@code x·Wt} with {@code Wt [K, N]} stored transposed), {@code wx} ({@code W·xᵀ} then transposed back),
 * {@code f16} (W and x in float16, output back to float32; DJL 0.36 aborts on bfloat16 casts), {@code bmm} (W as {@code [N/16, 16, K]} blocks times a broadcast {@code xᵀ}), {@code sum} (the bandwidth floor). {@code threads}
 * sets PyTorch's intra-op threads for the trial. Run:
 * <pre>{@code
 * java -jar specdec-bench/target/benchmarks.jar ProjectionBenchmark
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ProjectionBenchmark {
    @Param({"qkv25", "gu25", "down25", "gu150", "down150"})
    public String shape;

    @Param({"1", "4", "8", "16"})
    public int tokens;

    @Param({"linear", "matmul", "wx", "f16", "bmm", "sum"})
    public String form;

    @Param({"1"})
    public int threads;

    private NDManager manager;
    private NDArray[] ws;
    private NDArray x;
    private NDArray xt;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        SpecdecEngine.configure();
        manager = SpecdecEngine.newManager();
        setThreads(threads);
        long[] nk = switch (shape) {
            case "qkv25" -> new long[] {1024, 512};
            case "gu25" -> new long[] {2752, 512};
            case "down25" -> new long[] {512, 1376};
            case "gu150" -> new long[] {5632, 1024};
            case "down150" -> new long[] {1024, 2816};
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
        // enough copies that the working set (>= 256 MiB) streams from DRAM as a real model's weights do
        int copies = (int) Math.max(1, (256L << 20) / (nk[0] * nk[1] * 4));
        ws = new NDArray[copies];
        x = manager.randomNormal(new Shape(tokens, nk[1]));
        for (int i = 0; i < copies; i++) {
            NDArray wn = manager.randomNormal(new Shape(nk[0], nk[1])).muli(0.02f);
            ws[i] = switch (form) {
                case "matmul" -> wn.transpose().toType(DataType.FLOAT32, true).duplicate();
                case "f16" -> wn.toType(DataType.FLOAT16, true);
                case "bmm" -> wn.reshape(nk[0] / 16, 16, nk[1]);
                default -> wn;
            };
        }
        if (form.equals("f16")) {
            x = x.toType(DataType.FLOAT16, true);
        }
        xt = x.transpose().expandDims(0).broadcast(nk[0] / 16, nk[1], tokens);
    }

    /** PyTorch's intra-op threads, through the engine's JNI utilities (the engine is a runtime dependency). */
    static void setThreads(int n) {
        try {
            Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("setNumThreads", int.class).invoke(null, n);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot set PyTorch threads", e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /** One projection; the result stays on the device (the forward consumes it there). */
    @Benchmark
    public float project() {
        NDArray w = ws[next];
        next = (next + 1) % ws.length;
        try (NDManager m = manager.newSubManager()) {
            NDArray y = switch (form) {
                case "linear" -> x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
                case "matmul" -> x.matMul(w);
                case "wx" -> w.matMul(x.transpose()).transpose();
                case "f16" -> x.getNDArrayInternal().linear(x, w, null).singletonOrThrow().toType(DataType.FLOAT32,
                        false);
                case "bmm" -> w.batchMatMul(xt);
                case "sum" -> w.sum();
                default -> throw new IllegalStateException(form);
            };
            y.attach(m);
            return y.getShape().size();
        }
    }
}
