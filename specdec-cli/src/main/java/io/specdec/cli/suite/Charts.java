package io.specdec.cli.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of a suite run (XChart, headless): speedup per configuration per target for each workload and decoding,
 * τ against speedup, accepted-length histograms per target, the targets' cost curves, and the lossy modes' speed ×
 * quality (Pareto) chart per target and decoding. Stateless.
 */
public final class Charts {
    private Charts() {}

    /** Writes every chart into {@code dir}; returns the file names written, in order. */
    public static List<String> write(Suite suite, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        List<String> names = new ArrayList<>();
        List<Suite.Cell> cells = suite.cells();
        Set<String> configs = new LinkedHashSet<>();
        cells.forEach(c -> configs.add(c.config()));
        for (String w : suite.options().workloads()) {
            for (String d : suite.options().decodings()) {
                CategoryChart ch = new CategoryChartBuilder().width(1200).height(560)
                        .title("Speedup over AR — " + w + " workload, " + d + " (median over prompts)")
                        .xAxisTitle("configuration").yAxisTitle("speedup (x)").build();
                style(ch.getStyler());
                ch.getStyler().setXAxisLabelRotation(20);
                for (Suite.TargetInfo t : suite.targets()) {
                    List<String> xs = new ArrayList<>();
                    List<Double> ys = new ArrayList<>();
                    for (String c : configs) {
                        for (Suite.Cell cell : cells) {
                            if (cell.target().equals(t.name()) && cell.workload().equals(w)
                                    && cell.decoding().equals(d) && cell.config().equals(c)) {
                                xs.add(c);
                                ys.add(cell.summary().speedupMedian());
                            }
                        }
                    }
                    if (!xs.isEmpty()) {
                        ch.addSeries(t.name(), xs, ys);
                    }
                }
                if (!ch.getSeriesMap().isEmpty()) {
                    // the break-even line: below it speculation is slower than plain decoding
                    List<String> xs = new ArrayList<>();
                    for (String c : configs) {
                        if (cells.stream().anyMatch(x -> x.workload().equals(w) && x.decoding().equals(d)
                                && x.config().equals(c))) {
                            xs.add(c);
                        }
                    }
                    ch.addSeries("1.0x = AR", xs, java.util.Collections.nCopies(xs.size(), 1.0))
                            .setChartCategorySeriesRenderStyle(
                                    org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle.Line)
                            .setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.BLACK);
                    names.add(save(ch, dir, "speedup-" + w + "-" + d.replace("=", "")));
                }
            }
        }
        XYChart sc = new XYChartBuilder().width(1100).height(600).title("τ (tokens per target forward) vs speedup,"
                + " every cell").xAxisTitle("τ").yAxisTitle("speedup (x)").build();
        style(sc.getStyler());
        sc.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        // one series (colour and marker) per configuration, so points can be told apart; every target's cells
        double maxTau = 1;
        for (String c : configs) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Suite.Cell cell : cells) {
                if (cell.config().equals(c)) {
                    xs.add(cell.summary().tau());
                    ys.add(cell.summary().speedupMedian());
                    maxTau = Math.max(maxTau, cell.summary().tau());
                }
            }
            if (!xs.isEmpty()) {
                sc.addSeries(c, xs, ys);
            }
        }
        if (!sc.getSeriesMap().isEmpty()) {
            sc.addSeries("1.0x = AR", List.of(1.0, maxTau), List.of(1.0, 1.0))
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE)
                    .setLineColor(java.awt.Color.BLACK);
        }
        names.add(save(sc, dir, "tau-vs-speedup"));
        for (Suite.TargetInfo t : suite.targets()) {
            CategoryChart h = new CategoryChartBuilder().width(1200).height(560)
                    .title("Accepted draft tokens per round — " + t.name() + ", story workload, greedy")
                    .xAxisTitle("accepted tokens in the round").yAxisTitle("fraction of rounds").build();
            style(h.getStyler());
            int maxLen = 0;
            for (Suite.Cell cell : cells) {
                if (cell.target().equals(t.name())) {
                    maxLen = Math.max(maxLen, cell.summary().acceptedLengthHistogram().length);
                }
            }
            maxLen = Math.min(maxLen, 13);
            for (Suite.Cell cell : cells) {
                if (!cell.target().equals(t.name()) || !cell.workload().equals("story")
                        || !cell.decoding().equals("greedy")) {
                    continue;
                }
                long[] hist = cell.summary().acceptedLengthHistogram();
                long total = 0;
                for (long v : hist) {
                    total += v;
                }
                List<String> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (int i = 0; i < maxLen; i++) {
                    xs.add(i == 12 ? "12+" : Integer.toString(i));
                    long v = 0;
                    for (int j = i; j < hist.length && (j == i || i == 12); j++) {
                        v += hist[j];
                    }
                    ys.add(total == 0 ? 0 : (double) v / total);
                }
                if (total > 0 && maxLen > 0) {
                    h.addSeries(cell.config(), xs, ys);
                }
            }
            if (!h.getSeriesMap().isEmpty()) {
                names.add(save(h, dir, "accepted-length-" + t.name()));
            }
        }
        XYChart cc = new XYChartBuilder().width(900).height(520).title("Target cost curve c(T)/c(1) on this machine")
                .xAxisTitle("tokens per forward T").yAxisTitle("c(T) / c(1)").build();
        style(cc.getStyler());
        for (Suite.TargetInfo t : suite.targets()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int s : io.specdec.speculation.CostCurve.SIZES) {
                xs.add((double) s);
                ys.add(t.curve().micros(s) / t.curve().micros(1));
            }
            cc.addSeries(t.name(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
        }
        names.add(save(cc, dir, "cost-curves"));
        for (Suite.LossyCell l : suite.lossyCells()) {
            String file = "lossy-" + l.target() + "-" + l.decoding().replace("=", "") + ".png";
            QualityHarness.chart(l.rows(), dir.resolve(file), "Speed vs quality — " + l.target() + ", "
                    + l.decoding() + " (story workload)");
            names.add(file);
        }
        return names;
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setPlotGridLinesVisible(true);
    }

    private static String save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path dir, String name)
            throws IOException {
        BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return name + ".png";
    }
}
