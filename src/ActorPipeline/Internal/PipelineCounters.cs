namespace ActorPipeline.Internal;

/// <summary>The running counts of one pipeline: written by the actor that owns each number, read for status and metrics.</summary>
/// <remarks>
/// The gateway adds what it enqueues, the stream what it hands to consumers, the supervisor the outcomes. Counters
/// rather than messages: a message per chunk would cost a mailbox hop on the hot path for numbers that are only
/// read when somebody asks (a status query, a metrics collection).
/// </remarks>
internal sealed class PipelineCounters(string pipeline)
{
    private long _produced;
    private long _dispatched;
    private long _succeeded;
    private long _failed;
    private long _retried;

    public string Pipeline => pipeline;

    /// <summary>The tag every measurement of this pipeline carries.</summary>
    public KeyValuePair<string, object?> Tag { get; } = new("pipeline", pipeline);

    public long Produced => Volatile.Read(ref _produced);

    public long Succeeded => Volatile.Read(ref _succeeded);

    public long Failed => Volatile.Read(ref _failed);

    public long Retried => Volatile.Read(ref _retried);

    /// <summary>Items accepted into the queue and not yet finished.</summary>
    public long InFlight => Math.Max(0, Produced - Succeeded - Failed);

    /// <summary>Items accepted into the queue and not yet handed to a consumer.</summary>
    public long Queued => Math.Max(0, Produced - Volatile.Read(ref _dispatched));

    public void AddProduced(int items)
    {
        Interlocked.Add(ref _produced, items);
        PipelineMetrics.Produced.Add(items, Tag);
    }

    public void AddDispatched(int items) => Interlocked.Add(ref _dispatched, items);

    public void AddOutcomes(long succeeded, long failed, long retried)
    {
        Interlocked.Add(ref _succeeded, succeeded);
        Interlocked.Add(ref _failed, failed);
        Interlocked.Add(ref _retried, retried);
        if (succeeded > 0)
            PipelineMetrics.Succeeded.Add(succeeded, Tag);
        if (failed > 0)
            PipelineMetrics.Failed.Add(failed, Tag);
        if (retried > 0)
            PipelineMetrics.Retried.Add(retried, Tag);
    }
}
