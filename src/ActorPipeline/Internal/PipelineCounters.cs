namespace ActorPipeline.Internal;

/// <summary>The running counts of one pipeline, written where each thing happens and read as one consistent snapshot.</summary>
/// <remarks>
/// Producers and the gateway add what they accept before the items can go anywhere; the stream adds each chunk's
/// outcome before the chunk's credit goes back. Both happen under one lock, once per chunk, so a snapshot never shows
/// an item finished that was not produced, nor more items in flight than the credit handed out. Counters rather than
/// messages: a message per chunk would cost a mailbox hop on the hot path for numbers that are only read when somebody
/// asks (a status query, a metrics collection).
/// </remarks>
internal sealed class PipelineCounters(string pipeline)
{
    private readonly Lock _lock = new();
    private long _produced;
    private long _dispatched;
    private long _succeeded;
    private long _failed;
    private long _retried;
    private readonly Dictionary<string, long> _processed = new();

    /// <summary>The counts at one moment.</summary>
    public readonly record struct Snapshot(long Produced, long Succeeded, long Failed, long Retried, long Dispatched)
    {
        /// <summary>Items accepted from producers and not yet finished.</summary>
        public long InFlight => Produced - Succeeded - Failed;

        /// <summary>Items accepted and not yet handed to a consumer.</summary>
        public long Queued => Math.Max(0, Produced - Dispatched);
    }

    public string Pipeline => pipeline;

    /// <summary>The tag every measurement of this pipeline carries.</summary>
    public KeyValuePair<string, object?> Tag { get; } = new("pipeline", pipeline);

    public Snapshot Read()
    {
        lock (_lock)
            return new Snapshot(_produced, _succeeded, _failed, _retried, _dispatched);
    }

    /// <summary>Items whose outcome each consumer routee decided so far, by routee name.</summary>
    public Dictionary<string, long> ProcessedByConsumer()
    {
        lock (_lock)
            return new Dictionary<string, long>(_processed);
    }

    /// <summary><paramref name="items"/> were accepted from a producer, within its credit.</summary>
    public void AddProduced(int items)
    {
        lock (_lock)
            _produced += items;
        PipelineMetrics.Produced.Add(items, Tag);
    }

    /// <summary><paramref name="items"/> counted as produced were refused after all (their queue failed before taking them).</summary>
    public void Withdraw(int items)
    {
        lock (_lock)
            _produced -= items;
    }

    public void AddDispatched(int items) => Interlocked.Add(ref _dispatched, items);

    /// <summary>A chunk's outcomes are known: call before its items' credit goes back.</summary>
    public void AddOutcomes(ChunkOutcome outcome)
    {
        lock (_lock)
        {
            _succeeded += outcome.Succeeded;
            _failed += outcome.Failures.Count;
            _retried += outcome.Retried;
            for (var i = 0; i < outcome.ProcessedByConsumer.Count; i++)
            {
                var (consumer, count) = outcome.ProcessedByConsumer[i];
                _processed[consumer] = _processed.GetValueOrDefault(consumer) + count;
            }
        }

        Publish(outcome.Succeeded, outcome.Failures.Count, outcome.Retried);
    }

    /// <summary>Items still unfinished when a stop deadline passed now count as failed.</summary>
    public void AddAbandoned(long items)
    {
        lock (_lock)
            _failed += items;
        Publish(0, items, 0);
    }

    private void Publish(long succeeded, long failed, long retried)
    {
        if (succeeded > 0)
            PipelineMetrics.Succeeded.Add(succeeded, Tag);
        if (failed > 0)
            PipelineMetrics.Failed.Add(failed, Tag);
        if (retried > 0)
            PipelineMetrics.Retried.Add(retried, Tag);
    }
}
