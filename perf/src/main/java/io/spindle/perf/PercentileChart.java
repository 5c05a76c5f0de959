/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws latency percentile curves as HdrHistogram's plotter does: the x axis is {@code 1 / (1 - percentile)} on a log
 * scale, labelled 0%, 90%, 99%, 99.9%, ..., so the tail gets as much room as the median; the y axis is microseconds,
 * also on a log scale, so microseconds and milliseconds fit one picture.
 */
final class PercentileChart
{
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;
    private static final int TICKS_PER_HALF_DISTANCE = 5;
    private static final double MIN_US = 0.01;

    private final String title;
    private final Map<String, Histogram> series = new LinkedHashMap<>();

    /**
     * A chart with a title.
     *
     * @param title shown above the plot.
     */
    PercentileChart(final String title)
    {
        this.title = title;
    }

    /**
     * Add a curve.
     *
     * @param name      legend label.
     * @param histogram values in ns; skipped when empty.
     * @return this.
     */
    PercentileChart add(final String name, final Histogram histogram)
    {
        if (null != histogram && histogram.getTotalCount() > 0)
        {
            series.put(name, histogram);
        }
        return this;
    }

    /**
     * Write the chart as a PNG.
     *
     * @param file where to write.
     * @throws IOException when the file cannot be written.
     */
    void writePng(final Path file) throws IOException
    {
        final XYChart chart = new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle("percentile")
            .yAxisTitle("latency (us, log scale)")
            .build();
        final XYStyler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.InsideNW);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setChartTitleFont(styler.getChartTitleFont().deriveFont(14f));
        // Both axes are drawn in log10 space and labelled with the values they stand for: XChart ignores its own
        // logarithmic axes once a tick label function is set.
        styler.setxAxisTickLabelsFormattingFunction(PercentileChart::percentileLabel);
        styler.setyAxisTickLabelsFormattingFunction(PercentileChart::microsecondsLabel);

        for (final Map.Entry<String, Histogram> entry : series.entrySet())
        {
            final List<Double> x = new ArrayList<>();
            final List<Double> y = new ArrayList<>();
            for (final HistogramIterationValue value : entry.getValue().percentiles(TICKS_PER_HALF_DISTANCE))
            {
                final double percentile = value.getPercentileLevelIteratedTo();
                if (percentile >= 100.0)
                {
                    break;
                }
                x.add(Math.log10(1.0 / (1.0 - percentile / 100.0)));
                y.add(Math.log10(Math.max(MIN_US, value.getValueIteratedTo() / 1000.0)));
            }
            if (x.isEmpty())
            {
                continue;
            }
            final XYSeries curve = chart.addSeries(entry.getKey(), x, y);
            curve.setMarker(SeriesMarkers.NONE);
        }
        if (chart.getSeriesMap().isEmpty())
        {
            chart.addSeries("no samples", new double[]{ 0.0, 1.0 }, new double[]{ 0.0, 0.0 })
                .setMarker(SeriesMarkers.NONE);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String percentileLabel(final Double decades)
    {
        // Label whole decades only: 0%, 90%, 99%, 99.9%, ...
        final long rounded = Math.round(decades);
        if (Math.abs(decades - rounded) > 1e-6 || rounded < 0)
        {
            return "";
        }
        final int decimals = (int)Math.max(0, rounded - 2);
        return String.format("%." + decimals + "f%%", 100.0 * (1.0 - Math.pow(10.0, -rounded)));
    }

    private static String microsecondsLabel(final Double log10Us)
    {
        final double us = Math.pow(10.0, log10Us);
        if (us >= 100.0)
        {
            return String.format("%,.0f", us);
        }
        if (us >= 1.0)
        {
            return String.format("%.1f", us);
        }
        return String.format("%.2f", us);
    }
}
