using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorPipeline.Host;

/// <summary>What a person sees while a job runs: a live display on a terminal, plain lines otherwise.</summary>
/// <remarks>
/// Both read the pipeline's status (one message to its actor per refresh), so watching costs the pipeline nothing
/// per item.
/// </remarks>
internal static class Progress
{
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);

    /// <summary>Writes one progress line a second until the pipeline completes.</summary>
    public static async Task LinesAsync(PipelineHandle pipeline, long bound, TextWriter error)
    {
        var rate = new Rate();
        while (await NextAsync(pipeline, LineInterval) is { } status)
            await error.WriteLineAsync(Line(status, bound, rate.Next(status)));
    }

    /// <summary>Shows a live table on <paramref name="error"/>, a terminal, until the pipeline completes.</summary>
    /// <remarks>
    /// Spectre.Console writes a frame in many small pieces; each frame is gathered and written to the terminal in one
    /// call. Measured with one of the two cores busy elsewhere: a frame of this single table took about 2 ms once warm,
    /// the first frames more while Spectre's layout code was compiled (230 ms for the first, 40 ms for the second); a
    /// view of nested panels and columns took over three times as long in all, which is why the view is one table.
    /// </remarks>
    public static async Task LiveAsync(PipelineHandle pipeline, long bound, TextWriter error)
    {
        var frame = new StringWriter();
        var console = Terminal.ForTerminal(frame);
        var rate = new Rate();
        var consumerRates = new Dictionary<string, Rate>();
        await console.Live(new Text("starting…")).AutoClear(true).StartAsync(async context =>
        {
            while (await NextAsync(pipeline, LiveRefresh) is { } status)
            {
                context.UpdateTarget(View(status, bound, rate.Next(status), consumerRates));
                context.Refresh();
                await Flush(frame, error);
            }
        });
        await Flush(frame, error);
    }

    private static async Task Flush(StringWriter frame, TextWriter error)
    {
        await error.WriteAsync(frame.ToString());
        await error.FlushAsync();
        frame.GetStringBuilder().Clear();
    }

    /// <summary>The plain progress line of <paramref name="status"/>.</summary>
    public static string Line(PipelineStatus status, long bound, double itemsPerSecond) => string.Create(CultureInfo.InvariantCulture,
        $"[{status.Elapsed:hh\\:mm\\:ss}] produced {status.Produced:N0}, done {status.Succeeded + status.Failed:N0} "
        + $"(failed {status.Failed:N0}, retried {status.Retried:N0}), in flight {status.InFlight:N0} of at most {bound:N0}, "
        + $"{itemsPerSecond:N0} items/s, producers running {status.ProducersAlive}")
        + (status.WaitingToRetry > 0 ? string.Create(CultureInfo.InvariantCulture, $", {status.WaitingToRetry:N0} waiting to retry") : "")
        + (status.Dropped > 0 ? string.Create(CultureInfo.InvariantCulture, $", {status.Dropped:N0} dropped") : "")
        + (status.ProducersWaiting > 0 ? string.Create(CultureInfo.InvariantCulture, $", {status.ProducersWaiting} waiting for room") : "")
        + (status.RateLimited ? ", held by max-rate" : "")
        + (status.Resumed ? string.Create(CultureInfo.InvariantCulture, $", resumed ({status.Recovered:N0} taken up again)") : "");

    private static IRenderable View(PipelineStatus status, long bound, double itemsPerSecond, Dictionary<string, Rate> consumerRates)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders()
            .AddColumn(new TableColumn("")).AddColumn(new TableColumn("").RightAligned()).AddColumn(new TableColumn("").RightAligned());
        table.AddRow(Markup.Escape(status.Name), status.State.ToString().ToLowerInvariant(), status.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        table.AddRow("produced", N(status.Produced), "");
        table.AddRow("done", N(status.Succeeded + status.Failed), $"{N((long)itemsPerSecond)} items/s");
        table.AddRow("failed / retried", status.Failed > 0 ? $"[red]{N(status.Failed)}[/]" : "0", N(status.Retried));
        table.AddRow("in flight", N(status.InFlight), $"of at most {N(bound)}");
        if (status.Resumed)
            table.AddRow("resumed", N(status.Recovered), "taken up again");
        table.AddRow("producers running", N(status.ProducersAlive),
            status.RateLimited ? "held by max-rate" : status.ProducersWaiting > 0 ? $"{N(status.ProducersWaiting)} waiting for room" : "");
        if (status.WaitingToRetry > 0)
            table.AddRow("waiting to retry", N(status.WaitingToRetry), "");
        if (status.Dropped > 0)
            table.AddRow("dropped", N(status.Dropped), "");
        foreach (var (name, processed) in status.ProcessedByConsumer.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!consumerRates.TryGetValue(name, out var consumerRate))
                consumerRates[name] = consumerRate = new Rate();
            table.AddRow($"consumer {Markup.Escape(name)}", N(processed), $"{N((long)consumerRate.Next(processed, status.Elapsed))} items/s");
        }

        return table;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    // The next status after `wait`, or null once the pipeline has completed (or can no longer be asked).
    private static async Task<PipelineStatus?> NextAsync(PipelineHandle pipeline, TimeSpan wait)
    {
        if (await Task.WhenAny(pipeline.Completion, Task.Delay(wait)) == pipeline.Completion)
            return null;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var status = await pipeline.GetStatusAsync(deadline.Token);
            return status.State == PipelineState.Completed ? null : status;
        }
        catch (Exception) when (pipeline.Completion.IsCompleted)
        {
            return null;
        }
    }

    /// <summary>Items per second between two samples.</summary>
    private sealed class Rate
    {
        private long _last;
        private TimeSpan _at;
        private bool _resumed;

        public double Next(PipelineStatus status)
        {
            // A resumed run's counts jump by what the earlier runs finished as its state is read: not a rate.
            if (status.Resumed && !_resumed)
            {
                _resumed = true;
                (_last, _at) = (status.Succeeded + status.Failed, status.Elapsed);
                return 0;
            }

            return Next(status.Succeeded + status.Failed, status.Elapsed);
        }

        public double Next(long done, TimeSpan elapsed)
        {
            var seconds = (elapsed - _at).TotalSeconds;
            var rate = seconds > 0 ? (done - _last) / seconds : 0;
            (_last, _at) = (done, elapsed);
            return rate;
        }
    }
}
