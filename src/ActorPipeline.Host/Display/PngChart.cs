namespace ActorPipeline.Host;

/// <summary>The same line chart as <see cref="SvgChart"/>, drawn to PNG by ScottPlot, the benchmarks' plotting library.</summary>
/// <remarks>A picture in pixels needs a rasterizer and fonts: ScottPlot's SkiaSharp brings them as native code, loaded only
/// when a PNG is drawn. Each platform's tool package carries its own platform's copy.</remarks>
internal sealed class PngChart(string title, string xLabel, string leftLabel, string rightLabel) : IChart
{
    private readonly ScottPlot.Plot _plot = NewPlot(title, xLabel, leftLabel, rightLabel);

    public void Add(string label, string color, double[] xs, double[] ys, bool rightAxis = false, bool dashed = false)
    {
        var line = _plot.Add.ScatterLine(xs, ys, ScottPlot.Color.FromHex(color));
        line.LegendText = label;
        line.LineWidth = 2;
        if (rightAxis)
            line.Axes.YAxis = _plot.Axes.Right;
        if (dashed)
            line.LinePattern = ScottPlot.LinePattern.Dashed;
    }

    public void Write(string path)
    {
        _plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        _plot.SavePng(path, SvgChart.Width, SvgChart.Height);
    }

    private static ScottPlot.Plot NewPlot(string title, string xLabel, string leftLabel, string rightLabel)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(leftLabel);
        plot.Axes.Right.Label.Text = rightLabel;
        return plot;
    }
}

/// <summary>A line chart over a shared x axis, each line on the left or the right y axis, written to a file.</summary>
internal interface IChart
{
    /// <summary>Adds a line; <paramref name="color"/> is <c>#rrggbb</c>.</summary>
    void Add(string label, string color, double[] xs, double[] ys, bool rightAxis = false, bool dashed = false);

    /// <summary>Writes the chart to <paramref name="path"/>.</summary>
    void Write(string path);
}
