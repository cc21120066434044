namespace ActorPipeline.Internal;

/// <summary>The running counts of one pipeline, written where each thing happens and read as one consistent snapshot.</summary>
/// <remarks>
/// Producers and the gateway add what they accept before the items can go anywhere; the stream adds each chunk's
/// outcome before the chunk's credit goes back. Both happen under one lock, once per chunk, so a snapshot never shows
/// an item finished that was not produced, nor more items in flight than the credit handed out. A chunk at the
/// consumers is counted item by item as its routee finishes them (<see cref="Dispatch"/>): the snapshot adds that
/// progress, and takes the chunk's outcome and drops its progress in the same step, so no count ever goes back.
/// Counters rather than messages: a message per chunk would cost a mailbox hop on the hot path for numbers that are
/// only read when somebody asks (a status query, a metrics collection).
/// </remarks>
internal sealed class PipelineCounters(string pipeline, int parallelism)
{
    private readonly Lock _lock = new();
    private readonly Dispatch?[] _active = new Dispatch?[parallelism];
    private readonly Dictionary<string, long> _processed = new();
    private long _produced;
    private long _dispatched;
    private long _succeeded;
    private long _failed;
    private long _retried;
    private long _abandoned;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _state;
    private int _producersAlive;

    /// <summary>The counts at one moment.</summary>
    public readonly record struct Snapshot(long Produced, long Succeeded, long Failed, long Retried, long Dispatched, long Abandoned)
    {
        /// <summary>Items accepted from producers and not yet finished.</summary>
        public long InFlight => Produced - Succeeded - Failed;

        /// <summary>Items accepted and not yet handed to a consumer.</summary>
        public long Queued => Math.Max(0, Produced - Dispatched);
    }

    public string Pipeline => pipeline;

    /// <summary>The tag every measurement of this pipeline carries.</summary>
    public KeyValuePair<string, object?> Tag { get; } = new("pipeline", pipeline);

    /// <summary>The chunks at the consumers now, one place per chunk the stream may have there (parallelism).</summary>
    public IReadOnlyList<Dispatch?> Active => _active;

    public Snapshot Read()
    {
        lock (_lock)
        {
            var (succeeded, failed) = (_succeeded, _failed);
            foreach (var dispatch in _active)
            {
                if (dispatch is null)
                    continue;
                var (s, f) = dispatch.Progress();
                succeeded += s;
                failed += f;
            }

            return new Snapshot(_produced, succeeded, failed, _retried, _dispatched, _abandoned);
        }
    }

    /// <summary>Where the pipeline is in its lifecycle, as its supervisor last said.</summary>
    public PipelineState State
    {
        get => (PipelineState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>Producers that have not stopped yet, as the supervisor last counted.</summary>
    public int ProducersAlive
    {
        get => Volatile.Read(ref _producersAlive);
        set => Volatile.Write(ref _producersAlive, value);
    }

    /// <summary>The pipeline's status now, read here rather than asked of its actor, which may be busy.</summary>
    public PipelineStatus Status()
    {
        var counts = Read();
        return new PipelineStatus(pipeline, State, counts.Produced, counts.Succeeded, counts.Failed, counts.Retried, counts.InFlight, ProducersAlive)
        {
            ProcessedByConsumer = ProcessedByConsumer(),
            Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_started),
        };
    }

    /// <summary>Items whose outcome each consumer routee decided so far, by routee name (finished chunks only).</summary>
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

    /// <summary>A chunk goes to the consumers: its progress counts from now on; returns its place.</summary>
    /// <remarks>At most <c>parallelism</c> chunks are at the consumers, so a place is always free.</remarks>
    public int Begin(Dispatch dispatch)
    {
        Interlocked.Add(ref _dispatched, dispatch.Items);
        var start = (int)((ulong)dispatch.Id % (ulong)_active.Length);
        for (var i = 0; ; i++)
        {
            var place = (start + i) % _active.Length;
            if (Interlocked.CompareExchange(ref _active[place], dispatch, null) is null)
                return place;
        }
    }

    /// <summary>An answer for <paramref name="dispatch"/> came in: the chunk's items decided so far count as
    /// <paramref name="succeeded"/> and <paramref name="failed"/> from now on, instead of its routee's progress.</summary>
    public void Settle(Dispatch dispatch, int succeeded, int failed)
    {
        lock (_lock)
        {
            dispatch.Succeeded = succeeded;
            dispatch.Failed = failed;
            dispatch.Current = null;
        }
    }

    /// <summary>A chunk's outcomes are known: call before its items' credit goes back.</summary>
    public void AddOutcomes(ChunkOutcome outcome, int place)
    {
        lock (_lock)
        {
            _succeeded += outcome.Succeeded;
            _failed += outcome.Failures.Count;
            _retried += outcome.Retried;
            _abandoned += outcome.Abandoned;
            for (var i = 0; i < outcome.ProcessedByConsumer.Count; i++)
            {
                var (consumer, count) = outcome.ProcessedByConsumer[i];
                _processed[consumer] = _processed.GetValueOrDefault(consumer) + count;
            }

            _active[place] = null;
        }

        Publish(outcome.Succeeded, outcome.Failures.Count, outcome.Retried);
    }

    /// <summary>Items still unfinished when the pipeline had to end without the stream (it was stopped) count as failed.</summary>
    public long AbandonRest()
    {
        long rest;
        lock (_lock)
        {
            rest = _produced - _succeeded - _failed;
            _failed += rest;
            _abandoned += rest;
            Array.Clear(_active);
        }

        Publish(0, rest, 0);
        return rest;
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

/// <summary>One chunk at the consumers: the answers already in, and the ask still waiting, whose routee reports progress.</summary>
internal sealed class Dispatch(long id, int items)
{
    public long Id { get; } = id;

    public int Items { get; } = items;

    /// <summary>The ask waiting for its answer, if any.</summary>
    public ChunkReply? Current { get; set; }

    /// <summary>Items the answers already in decided: succeeded and failed (written under the counters' lock).</summary>
    public int Succeeded { get; set; }

    public int Failed { get; set; }

    public (int Succeeded, int Failed) Progress()
    {
        var (succeeded, failed) = (Succeeded, Failed);
        if (Current is { } reply)
        {
            var (answered, replyFailed) = reply.Progress;
            succeeded += answered - replyFailed;
            failed += replyFailed;
        }

        return (succeeded, failed);
    }
}
