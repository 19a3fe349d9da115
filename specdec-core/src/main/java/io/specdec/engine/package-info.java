/** DJL engine set-up: offline mode, telemetry opt-out, threads and device, in one place that runs before any DJL class initialises. */
package io.specdec.engine;
