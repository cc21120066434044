using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ActorPipeline.Internal;

/// <summary>The <c>ActorPipeline</c> meter: counters of items, the handler's duration, and gauges of items in flight and queued.</summary>
/// <remarks>Every measurement carries the tag <c>pipeline</c> with the pipeline's name.</remarks>
internal static class PipelineMetrics
{
    public const string MeterName = "ActorPipeline";

    private static readonly ConcurrentDictionary<PipelineCounters, bool> Live = new();

    public static readonly Meter Meter = new(MeterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Produced =
        Meter.CreateCounter<long>("actorpipeline.items.produced", "{item}", "Items accepted from producers.");

    public static readonly Counter<long> Succeeded =
        Meter.CreateCounter<long>("actorpipeline.items.succeeded", "{item}", "Items whose handler completed.");

    public static readonly Counter<long> Failed =
        Meter.CreateCounter<long>("actorpipeline.items.failed", "{item}", "Items that failed after their retries.");

    public static readonly Counter<long> Retried =
        Meter.CreateCounter<long>("actorpipeline.items.retried", "{item}", "Retries of items.");

    public static readonly Histogram<double> HandlerDuration =
        Meter.CreateHistogram<double>("actorpipeline.handler.duration", "s", "Time of one handler call.");

    private static readonly ObservableGauge<long> InFlight = Meter.CreateObservableGauge(
        "actorpipeline.items.in_flight", () => Live.Keys.Select(c => new Measurement<long>(c.Read().InFlight, c.Tag)),
        "{item}", "Items accepted and not yet finished.");

    private static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge(
        "actorpipeline.queue.depth", () => Live.Keys.Select(c => new Measurement<long>(c.Read().Queued, c.Tag)),
        "{item}", "Items accepted and not yet handed to a consumer.");

    /// <summary>Stops reporting the gauges of <paramref name="counters"/>: the supervisor calls it before it completes the
    /// report, so whoever awaits the report never sees the pipeline's gauges afterwards.</summary>
    public static void Forget(PipelineCounters counters) => Live.TryRemove(counters, out _);

    /// <summary>Reports the gauges of <paramref name="counters"/> until <see cref="Forget"/>, or at the latest until
    /// <paramref name="completion"/> ends (for a pipeline whose supervisor never started).</summary>
    public static void Observe(PipelineCounters counters, Task completion)
    {
        GC.KeepAlive(InFlight);
        GC.KeepAlive(QueueDepth);
        Live.TryAdd(counters, true);
        completion.ContinueWith(
            static (ended, state) => Live.TryRemove((PipelineCounters)state!, out _),
            counters,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
