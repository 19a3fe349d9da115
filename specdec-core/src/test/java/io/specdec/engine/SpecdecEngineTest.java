package io.specdec.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

/** DJL runs offline with telemetry opted out and one intra-op thread by default, once the engine has started. */
class SpecdecEngineTest {
    @Test
    void engineStartsOfflineWithTrackingOptedOut() {
        Engine e = SpecdecEngine.engine();
        assertEquals("PyTorch", e.getEngineName());
        assertEquals("true", System.getProperty(SpecdecEngine.OFFLINE_PROPERTY));
        assertTrue(Utils.isOfflineMode(), "DJL's own check reports offline mode");
        assertEquals("true", Utils.getEnvOrSystemProperty(SpecdecEngine.TRACKING_PROPERTY));
        assertEquals(String.valueOf(SpecdecEngine.threads()), System.getProperty(SpecdecEngine.THREADS_PROPERTY));
        try (var m = SpecdecEngine.newManager()) {
            assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat(), "the native engine computes");
        }
    }

    @Test
    void networkOptOutIsExplicitAndTooLateOnceConfigured() {
        SpecdecEngine.configure();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                SpecdecEngine::allowNetwork);
        assertTrue(e.getMessage().contains("before the first model loads"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertFalse(SpecdecEngine.networkAllowed());
    }
}
