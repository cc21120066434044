using System.Globalization;

namespace ActorPipeline.Host;

/// <summary>A picture of a run over time (<c>--chart FILE.png|FILE.svg</c>): items finished per second, failures and retries per
/// second, and items in flight against the capacity, from the pipeline's status sampled while it ran.</summary>
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

    /// <summary>Draws the run that ended with <paramref name="report"/> to <paramref name="path"/>, PNG or SVG by its extension.</summary>
    public void Write(string path, string job, PipelineReport report, long capacity)
    {
        if (_samples.Count == 0)
            throw new InvalidOperationException("No status of the run was sampled, so there is nothing to draw.");
        // The report closes the run: a sample taken as it ended, a moment after the report's time, would draw past it.
        var samples = _samples.Where(s => s.Elapsed < report.Elapsed).DefaultIfEmpty(_samples[0]).Append(_samples[^1] with
        {
            State = PipelineState.Completed, Produced = report.Produced, Succeeded = report.Succeeded, Failed = report.Failed,
            Retried = report.Retried, Dropped = report.Dropped, InFlight = 0, WaitingToRetry = 0, Elapsed = report.Elapsed,
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

        var title = string.Create(CultureInfo.InvariantCulture,
            $"{job}: {report.Succeeded:N0} succeeded, {report.Failed:N0} failed, {report.Retried:N0} retried in {report.Elapsed.TotalSeconds:0.0} s");
        const string x = "seconds since the pipeline started", left = "items per second", right = "items in the pipeline";
        var chart = new LineChart(title, x, left, right);
        chart.Add("finished per second", "#1f77b4", seconds, PerSecond(s => s.Succeeded + s.Failed));
        chart.Add("failed per second", "#d62728", seconds, PerSecond(s => s.Failed));
        chart.Add("retried per second", "#ff7f0e", seconds, PerSecond(s => s.Retried));
        chart.Add("in flight (right axis)", "#2ca02c", seconds, samples.Select(s => (double)s.InFlight).ToArray(), rightAxis: true);
        chart.Add(string.Create(CultureInfo.InvariantCulture, $"capacity {capacity:N0} (right axis)"), "#7f7f7f", [seconds[0], seconds[^1]], [capacity, capacity], rightAxis: true, dashed: true);
        if (samples.Any(s => s.Dropped > 0))
            chart.Add("dropped per second", "#8c564b", seconds, PerSecond(s => s.Dropped));
        if (samples.Any(s => s.ProducersWaiting > 0))
            chart.Add("producers waiting for room (right axis)", "#e377c2", seconds, samples.Select(s => (double)s.ProducersWaiting).ToArray(), rightAxis: true);
        if (samples.Any(s => s.WaitingToRetry > 0))
            chart.Add("waiting to retry (right axis)", "#9467bd", seconds, samples.Select(s => (double)s.WaitingToRetry).ToArray(), rightAxis: true);
        chart.Write(path);
    }
}
