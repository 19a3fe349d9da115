package io.specdec.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The one place where the DJL engine is configured. Every library entry point calls {@link #configure()} (directly or
 * through {@link #engine()}) before touching any DJL class, so that:
 *
 * <ul>
 *   <li>{@code ai.djl.offline=true}: DJL never downloads natives or models;
 *   <li>{@code OPT_OUT_TRACKING=true}: DJL's start-up telemetry (an HTTP call to a cloud metadata address) is off;
 *   <li>PyTorch uses {@link #threads()} intra-op threads (default 1; override with the system property
 *       {@code specdec.threads} or the environment variable {@code SPECDEC_THREADS}). On a 2-core machine two
 *       threads under contention turned a 1.4 ms forward into 10–40 ms, so 1 is the default.
 * </ul>
 *
 * <p>Properties already set by the user (for example {@code -Dai.djl.pytorch.num_threads=4}) are respected, except
 * the offline and tracking settings, which are forced — unless the embedding application opts out explicitly, before
 * the first model loads, with {@link #allowNetwork()} or {@code -Dspecdec.allowNetwork=true} (for example to let DJL
 * download CUDA natives): then DJL's own defaults for those two apply. Thread safety: idempotent and synchronised.
 */
public final class SpecdecEngine {
    /** System property read by DJL's {@code Utils.isOfflineMode}. */
    public static final String OFFLINE_PROPERTY = "ai.djl.offline";
    /** System property / environment variable read by DJL's telemetry. */
    public static final String TRACKING_PROPERTY = "OPT_OUT_TRACKING";
    /** DJL's PyTorch intra-op thread property. */
    public static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    /** System property that lets DJL use the network (off by default). */
    public static final String ALLOW_NETWORK_PROPERTY = "specdec.allowNetwork";

    private static volatile boolean configured;
    private static volatile boolean networkAllowed;

    private SpecdecEngine() {}

    /** Sets the offline, tracking and thread properties. Safe to call many times; cheap after the first. */
    public static synchronized void configure() {
        if (configured) {
            return;
        }
        if (!networkAllowed && !Boolean.getBoolean(ALLOW_NETWORK_PROPERTY)) {
            System.setProperty(OFFLINE_PROPERTY, "true");
            System.setProperty(TRACKING_PROPERTY, "true");
        }
        if (System.getProperty(THREADS_PROPERTY) == null) {
            System.setProperty(THREADS_PROPERTY, Integer.toString(threads()));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        // Never let PyTorch's graph executor or autograd run in inference.
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
        configured = true;
    }

    /**
     * Opts out of offline mode and the tracking opt-out (DJL may then download natives and report telemetry). Must
     * run before the engine is configured, i.e. before any model loads.
     *
     * @throws IllegalStateException if the engine is already configured offline
     */
    public static synchronized void allowNetwork() {
        if (configured && !networkAllowed && !Boolean.getBoolean(ALLOW_NETWORK_PROPERTY)) {
            throw new IllegalStateException("the engine is already configured offline; call allowNetwork() before"
                    + " the first model loads");
        }
        networkAllowed = true;
    }

    /** Whether DJL was left its network defaults ({@link #allowNetwork()}). */
    public static boolean networkAllowed() {
        return networkAllowed || Boolean.getBoolean(ALLOW_NETWORK_PROPERTY);
    }

    /** Intra-op threads requested by configuration (default 1). */
    public static int threads() {
        int n = configuredThreads();
        return n > 0 ? n : 1;
    }

    /**
     * Threads of the host backend's kernels: the configured count ({@code specdec.threads} / {@code SPECDEC_THREADS})
     * or, when none is set, 0 = choose by measurement at load between 1 and every available core.
     */
    public static int hostThreads() {
        return Math.max(0, configuredThreads());
    }

    private static int configuredThreads() {
        String v = System.getProperty("specdec.threads");
        if (v == null) {
            v = System.getenv("SPECDEC_THREADS");
        }
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new IllegalArgumentException("specdec.threads must be >= 1, found " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("specdec.threads must be an integer, found '" + v + "'", e);
        }
    }

    /** The PyTorch engine, configured and offline. */
    public static Engine engine() {
        configure();
        return Engine.getEngine("PyTorch");
    }

    /** A new root manager on the default device of the PyTorch engine (GPU when one is visible, else CPU). */
    public static NDManager newManager() {
        return engine().newBaseManager(defaultDevice());
    }

    /** The device chosen by {@code specdec.device} ("cpu", "gpu", "gpu:1"), default: GPU if available, else CPU. */
    public static Device defaultDevice() {
        Engine e = engine();
        String d = System.getProperty("specdec.device");
        if (d != null && !d.isBlank()) {
            return Device.fromName(d.trim(), e);
        }
        return e.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }
}
