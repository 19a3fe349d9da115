/**
 * The benchmark suite: targets (stories260K and its cost twins) x every registered drafter's presets x workloads x decodings, measured against AR interleaved in one JVM; Markdown/JSON reports and XChart PNG charts.
 */
package io.specdec.cli.suite;
