namespace ActorPipeline.Host;

/// <summary>A line chart over a shared x axis, each line on the left or the right y axis, drawn by ScottPlot, the
/// benchmarks' plotting library, to PNG or SVG by the file's extension.</summary>
/// <remarks>ScottPlot draws with SkiaSharp, whose native code (a rasterizer and fonts) is loaded only when a chart is
/// drawn. Each platform's tool package carries its own platform's copy.</remarks>
internal sealed class LineChart(string title, string xLabel, string leftLabel, string rightLabel)
{
    /// <summary>The chart's size in pixels.</summary>
    public const int Width = 1200;

    /// <inheritdoc cref="Width"/>
    public const int Height = 600;

    private readonly ScottPlot.Plot _plot = NewPlot(title, xLabel, leftLabel, rightLabel);

    /// <summary>Adds a line; <paramref name="color"/> is <c>#rrggbb</c>.</summary>
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

    /// <summary>Writes the chart to <paramref name="path"/>: a PNG for <c>.png</c>, else an SVG.</summary>
    public void Write(string path)
    {
        _plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        if (Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase))
            _plot.SavePng(path, Width, Height);
        else
            _plot.SaveSvg(path, Width, Height);
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
