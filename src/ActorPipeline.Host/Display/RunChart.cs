using System.Globalization;

namespace ActorPipeline.Host;

/// <summary>A picture of a run over time (<c>--chart FILE.png|.svg</c>): items finished per second, failures and retries
/// per second, and items in flight against the capacity, from the pipeline's status sampled while it ran.</summary>
internal sealed class RunChart
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);
    private readonly List<PipelineStatus> _samples = [];

    /// <summary>Samples <paramref name="pipeline"/>'s status until it completes.</summary>
    public async Task SampleAsync(PipelineHandle pipeline)
    {
        // The status is read from the pipeline's counters, so even a run that is over at once gives its first sample.
        do
        {
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                _samples.Add(await pipeline.GetStatusAsync(deadline.Token));
            }
            catch (Exception) when (pipeline.Completion.IsCompleted)
            {
                break;
            }

            await Task.WhenAny(pipeline.Completion, Task.Delay(Every));
        }
        while (!pipeline.Completion.IsCompleted);
    }

    /// <summary>Draws the run that ended with <paramref name="report"/> to <paramref name="path"/> (PNG, or SVG by its extension).</summary>
    public void Write(string path, string job, PipelineReport report, long capacity)
    {
        if (_samples.Count == 0)
            throw new InvalidOperationException("No status of the run was sampled, so there is nothing to draw.");
        var samples = _samples.Append(_samples[^1] with
        {
            State = PipelineState.Completed, Produced = report.Produced, Succeeded = report.Succeeded, Failed = report.Failed,
            Retried = report.Retried, InFlight = 0, WaitingToRetry = 0, Elapsed = report.Elapsed,
        }).OrderBy(s => s.Elapsed).ToArray();
        var seconds = samples.Select(s => s.Elapsed.TotalSeconds).ToArray();
        // Rates over at least a tenth of a second: the report's end may come a few milliseconds after the last sample.
        double[] PerSecond(Func<PipelineStatus, long> count)
        {
            var rates = new double[samples.Length];
            for (int i = 1, from = 0; i < samples.Length; i++)
            {
                if (seconds[i] - seconds[from] < 0.1)
                {
                    rates[i] = rates[i - 1];
                    continue;
                }

                rates[i] = seconds[i] > seconds[from] ? (count(samples[i]) - count(samples[from])) / (seconds[i] - seconds[from]) : rates[i - 1];
                from = i;
            }

            return rates;
        }

        var plot = new ScottPlot.Plot();
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{job}: {report.Succeeded:N0} succeeded, {report.Failed:N0} failed, {report.Retried:N0} retried in {report.Elapsed.TotalSeconds:0.0} s"));
        plot.XLabel("seconds since the pipeline started");
        plot.YLabel("items per second");
        Line(plot, seconds, PerSecond(s => s.Succeeded + s.Failed), "finished per second", ScottPlot.Colors.Blue);
        Line(plot, seconds, PerSecond(s => s.Failed), "failed per second", ScottPlot.Colors.Red);
        Line(plot, seconds, PerSecond(s => s.Retried), "retried per second", ScottPlot.Colors.Orange);

        plot.Axes.Right.Label.Text = "items in the pipeline";
        var inFlight = Line(plot, seconds, samples.Select(s => (double)s.InFlight).ToArray(), "in flight (right axis)", ScottPlot.Colors.Green);
        inFlight.Axes.YAxis = plot.Axes.Right;
        var bound = Line(plot, [seconds[0], seconds[^1]], [capacity, capacity], $"capacity {capacity:N0} (right axis)", ScottPlot.Colors.Gray);
        bound.Axes.YAxis = plot.Axes.Right;
        bound.LinePattern = ScottPlot.LinePattern.Dashed;
        if (samples.Any(s => s.WaitingToRetry > 0))
        {
            var waiting = Line(plot, seconds, samples.Select(s => (double)s.WaitingToRetry).ToArray(), "waiting to retry (right axis)", ScottPlot.Colors.Purple);
            waiting.Axes.YAxis = plot.Axes.Right;
        }

        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
            plot.SaveSvg(path, 1200, 600);
        else
            plot.SavePng(path, 1200, 600);
    }

    private static ScottPlot.Plottables.Scatter Line(ScottPlot.Plot plot, double[] xs, double[] ys, string label, ScottPlot.Color color)
    {
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LegendText = label;
        line.LineWidth = 2;
        return line;
    }
}
