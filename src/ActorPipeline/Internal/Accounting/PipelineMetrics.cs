using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ActorPipeline.Internal;

/// <summary>The <c>ActorPipeline</c> meter: the OpenTelemetry messaging instruments where they fit (items sent to the
/// pipeline, items consumed, the handler's duration), and the pipeline's own (failed, retried, abandoned, dropped, the
/// time producers waited for credit, and gauges of items in flight against the capacity, queued, waiting to retry, and
/// of producers waiting for room).</summary>
/// <remarks>Every measurement carries <c>messaging.system</c> (<c>actorpipeline</c>) and <c>messaging.destination.name</c>
/// (the pipeline's name), as the messaging semantic conventions name them; a failed item's carries <c>error.type</c>.</remarks>
internal static class PipelineMetrics
{
    public const string MeterName = "ActorPipeline";

    /// <summary>The value of <c>messaging.system</c>.</summary>
    public const string System = "actorpipeline";

    private static readonly ConcurrentDictionary<PipelineCounters, bool> Live = new();

    public static readonly Meter Meter = new(MeterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Sent =
        Meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Items producers handed to the pipeline.");

    public static readonly Counter<long> Consumed = Meter.CreateCounter<long>(
        "messaging.client.consumed.messages", "{message}", "Items whose handling ended, succeeded or failed (with error.type).");

    public static readonly Histogram<double> HandlerDuration =
        Meter.CreateHistogram<double>("messaging.process.duration", "s", "Time of one handler call (an item, or a batch).");

    public static readonly Counter<long> Failed =
        Meter.CreateCounter<long>("actorpipeline.items.failed", "{item}", "Items that failed after their retries.");

    public static readonly Counter<long> Retried =
        Meter.CreateCounter<long>("actorpipeline.items.retried", "{item}", "Retries of items.");

    public static readonly Counter<long> Abandoned =
        Meter.CreateCounter<long>("actorpipeline.items.abandoned", "{item}", "Items failed unfinished at a stop deadline.");

    public static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
        "actorpipeline.items.dropped", "{item}", "Items dropped under the overflow mode, by actorpipeline.drop.reason (incoming, oldest, newest).");

    /// <summary>The value of <c>actorpipeline.drop.reason</c> for <paramref name="reason"/>.</summary>
    public static string ReasonTag(DropReason reason) => reason switch
    {
        DropReason.Oldest => "oldest",
        DropReason.Newest => "newest",
        _ => "incoming",
    };

    public static readonly Histogram<double> CreditWait = Meter.CreateHistogram<double>(
        "actorpipeline.producer.credit_wait.duration", "s", "Time a producer waited for credit, the capacity being used up.");

    private static readonly ObservableGauge<long> InFlight = Meter.CreateObservableGauge(
        "actorpipeline.items.in_flight", () => Live.Keys.Select(c => new Measurement<long>(c.Read().InFlight, c.Tags)),
        "{item}", "Items accepted and not yet finished nor dropped.");

    private static readonly ObservableGauge<long> Capacity = Meter.CreateObservableGauge(
        "actorpipeline.capacity", () => Live.Keys.Select(c => new Measurement<long>(c.Capacity, c.Tags)),
        "{item}", "The most items the pipeline holds at once: items.in_flight never exceeds it (under drop-oldest or drop-newest, twice it).");

    private static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge(
        "actorpipeline.queue.depth", () => Live.Keys.Select(c => new Measurement<long>(c.Read().Queued, c.Tags)),
        "{item}", "Items accepted and not yet handed to a consumer.");

    private static readonly ObservableGauge<long> WaitingToRetry = Meter.CreateObservableGauge(
        "actorpipeline.items.waiting_to_retry", () => Live.Keys.Select(c => new Measurement<long>(c.WaitingToRetry, c.Tags)),
        "{item}", "Items that failed and wait, under the retry backoff, to be tried again.");

    private static readonly ObservableGauge<long> ProducersWaiting = Meter.CreateObservableGauge(
        "actorpipeline.producers.waiting", () => Live.Keys.Select(c => new Measurement<long>(c.ProducersWaiting, c.Tags)),
        "{producer}", "Producers held back for want of room: the capacity is used up.");

    /// <summary>The tags of every measurement of pipeline <paramref name="pipeline"/>.</summary>
    public static KeyValuePair<string, object?>[] TagsFor(string pipeline) =>
        [new("messaging.system", System), new("messaging.destination.name", pipeline)];

    /// <summary>Stops reporting the gauges of <paramref name="counters"/>: the supervisor calls it before it completes the
    /// report, so whoever awaits the report never sees the pipeline's gauges afterwards.</summary>
    public static void Forget(PipelineCounters counters) => Live.TryRemove(counters, out _);

    /// <summary>Reports the gauges of <paramref name="counters"/> until <see cref="Forget"/>, or at the latest until
    /// <paramref name="completion"/> ends (for a pipeline whose supervisor never started).</summary>
    public static void Observe(PipelineCounters counters, Task completion)
    {
        GC.KeepAlive(InFlight);
        GC.KeepAlive(Capacity);
        GC.KeepAlive(QueueDepth);
        GC.KeepAlive(WaitingToRetry);
        GC.KeepAlive(ProducersWaiting);
        Live.TryAdd(counters, true);
        completion.ContinueWith(
            static (ended, state) => Live.TryRemove((PipelineCounters)state!, out _),
            counters,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Records a wait for credit that began at the <see cref="System.Diagnostics.Stopwatch"/> timestamp
    /// <paramref name="since"/> (0: none) and returns 0, the value of "not waiting".</summary>
    public static long EndCreditWait(long since, KeyValuePair<string, object?>[] tags)
    {
        if (since != 0 && CreditWait.Enabled)
            CreditWait.Record(global::System.Diagnostics.Stopwatch.GetElapsedTime(since).TotalSeconds, tags);
        return 0;
    }
}
