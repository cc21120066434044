using System.Diagnostics;

namespace ActorPipeline.Internal;

/// <summary>The running counts of one pipeline, written where each thing happens and read as one consistent snapshot.</summary>
/// <remarks>
/// Producers and the gateway add what they accept before the items can go anywhere; the stream adds each chunk's
/// outcome before the chunk's credit goes back. Both happen under one lock, once per chunk, so a snapshot never shows
/// an item finished that was not produced, nor more items in flight than the credit handed out. A chunk at the
/// consumers is counted item by item as its routee finishes them (<see cref="ChunkProgress"/>): the snapshot adds that
/// progress, and takes the chunk's outcome and drops its progress in the same step, so no count ever goes back.
/// Counters rather than messages: a message per chunk would cost a mailbox hop on the hot path for numbers that are
/// only read when somebody asks (a status query, a metrics collection).
/// </remarks>
internal sealed class PipelineCounters(string pipeline)
{
    private readonly Lock _lock = new();
    private readonly HashSet<ChunkProgress> _active = [];
    private readonly List<(string Name, ProducerTally Tally)> _producers = [];
    private readonly Dictionary<string, long> _processed = new();
    private long _produced;
    private long _dispatched;
    private long _succeeded;
    private long _failed;
    private long _retried;
    private long _abandoned;
    private long _dropped;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _state;
    private int _producersAlive;
    private long _waitingToRetry;
    private int _rateLimited;
    private int _producersWaiting;
    private long _waitingForTurn;
    private long _recovered;
    private int _resumed;

    /// <summary>The counts at one moment.</summary>
    public readonly record struct Snapshot(
        long Produced, long Succeeded, long Failed, long Retried, long Dispatched, long Abandoned, long Dropped = 0)
    {
        /// <summary>Items accepted from producers and not yet finished nor dropped.</summary>
        public long InFlight => Produced - Succeeded - Failed - Dropped;

        /// <summary>Items accepted and not yet handed to a consumer nor dropped (items given back by one count as handed).</summary>
        public long Queued => Math.Max(0, Produced - Dropped - Dispatched);
    }

    public string Pipeline => pipeline;

    /// <summary>The tags every measurement of this pipeline carries.</summary>
    public KeyValuePair<string, object?>[] Tags { get; } = PipelineMetrics.TagsFor(pipeline);

    /// <summary>The most items the pipeline holds at once.</summary>
    public long Capacity { get; init; }

    /// <summary>The activity current when the pipeline started: the parent of publish spans that have none of their own.</summary>
    public System.Diagnostics.ActivityContext Started { get; init; }

    public Snapshot Read()
    {
        lock (_lock)
        {
            var (succeeded, failed) = (_succeeded, _failed);
            foreach (var progress in _active)
            {
                var (answered, failedSoFar, deferred) = progress.Progress;
                succeeded += answered - failedSoFar - deferred;
                failed += failedSoFar;
            }

            // Nothing finishes that was not taken, and nothing is taken that was not produced.
            Debug.Assert(succeeded + failed + _dropped <= _produced, "More items finished than were produced.");
            Debug.Assert(Volatile.Read(ref _dispatched) <= _produced, "More items went to consumers than were produced.");
            return new Snapshot(_produced, succeeded, failed, _retried, _dispatched, _abandoned, _dropped);
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

    /// <summary>Items waiting for a retry under the backoff, as the dispatch stage last said.</summary>
    public long WaitingToRetry
    {
        get => Volatile.Read(ref _waitingToRetry);
        set => Volatile.Write(ref _waitingToRetry, value);
    }

    /// <summary>Producers waiting for credit now, the capacity being used up.</summary>
    public int ProducersWaiting => Volatile.Read(ref _producersWaiting);

    /// <summary>A producer finds no credit and waits: returns when it began (a Stopwatch timestamp), <paramref name="since"/>
    /// if it waits already.</summary>
    public long BeginCreditWait(long since)
    {
        if (since != 0)
            return since;
        Interlocked.Increment(ref _producersWaiting);
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>A producer that waited since <paramref name="since"/> (0: it did not) has credit, or stopped; returns 0.</summary>
    public long EndCreditWait(long since)
    {
        if (since == 0)
            return 0;
        Interlocked.Decrement(ref _producersWaiting);
        return PipelineMetrics.EndCreditWait(since, Tags);
    }

    /// <summary>With results in order: items decided whose results wait for an earlier item, as the dispatch stage last said.</summary>
    public long WaitingForTurn
    {
        get => Volatile.Read(ref _waitingForTurn);
        set => Volatile.Write(ref _waitingForTurn, value);
    }

    /// <summary>Whether max-rate holds work back, as the dispatch stage last said.</summary>
    public bool RateLimited
    {
        get => Volatile.Read(ref _rateLimited) != 0;
        set => Volatile.Write(ref _rateLimited, value ? 1 : 0);
    }

    /// <summary>The pipeline's status now, read here rather than asked of its actor, which may be busy.</summary>
    public PipelineStatus Status()
    {
        var counts = Read();
        return new PipelineStatus(pipeline, State, counts.Produced, counts.Succeeded, counts.Failed, counts.Retried, counts.InFlight, ProducersAlive)
        {
            Dropped = counts.Dropped,
            Producers = Producers(),
            ProcessedByConsumer = ProcessedByConsumer(),
            WaitingToRetry = WaitingToRetry,
            RateLimited = RateLimited,
            ProducersWaiting = ProducersWaiting,
            WaitingForTurn = WaitingForTurn,
            Resumed = Resumed,
            Recovered = Recovered,
            Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_started),
        };
    }

    /// <summary>Whether this run resumed a durable pipeline's earlier run.</summary>
    public bool Resumed => Volatile.Read(ref _resumed) != 0;

    /// <summary>Items an earlier run had taken and not finished, taken up again by this one so far.</summary>
    public long Recovered => Volatile.Read(ref _recovered);

    /// <summary>A durable pipeline resumes: the items its earlier runs finished count as produced and finished in this one
    /// (each once: this run never takes them again).</summary>
    public void Resume(long succeeded, long failed)
    {
        lock (_lock)
        {
            _produced += succeeded + failed;
            Interlocked.Add(ref _dispatched, succeeded + failed);
            _succeeded += succeeded;
            _failed += failed;
        }

        Volatile.Write(ref _resumed, 1);
    }

    /// <summary>An item an earlier run had taken and not finished is taken again.</summary>
    public void AddRecovered() => Interlocked.Increment(ref _recovered);

    /// <summary>A producer registered, under <paramref name="name"/>; <paramref name="tally"/> counts what it sends.</summary>
    public void AddProducer(string name, ProducerTally tally)
    {
        lock (_lock)
            _producers.Add((name, tally));
    }

    /// <summary>Every producer registered so far, in order, with what it has sent.</summary>
    public ProducerSummary[] Producers()
    {
        lock (_lock)
            return _producers.Select(p => new ProducerSummary(p.Name, p.Tally.Produced, p.Tally.Failure)).ToArray();
    }

    /// <summary>Items whose outcome each consumer routee decided so far, by routee name (finished chunks only).</summary>
    public Dictionary<string, long> ProcessedByConsumer()
    {
        lock (_lock)
            return new Dictionary<string, long>(_processed);
    }

    /// <summary><paramref name="items"/> were accepted from a producer, within its credit (or, under drop-oldest and
    /// drop-newest, without it, for the dispatch stage to place).</summary>
    public void AddProduced(int items)
    {
        lock (_lock)
            _produced += items;
        PipelineMetrics.Sent.Add(items, Tags);
    }

    /// <summary><paramref name="items"/> came from a producer and were dropped at once, as they came.</summary>
    public void AddDroppedAsProduced(int items)
    {
        lock (_lock)
        {
            _produced += items;
            _dropped += items;
        }

        PipelineMetrics.Sent.Add(items, Tags);
        PublishDropped(items, DropReason.Incoming);
    }

    /// <summary>The dispatch stage dropped items sent without credit, or waiting ones to make room for them:
    /// <paramref name="incoming"/>, <paramref name="oldest"/> and <paramref name="newest"/> by reason.</summary>
    public void AddDropped(int incoming, int oldest, int newest)
    {
        lock (_lock)
            _dropped += incoming + oldest + newest;

        PublishDropped(incoming, DropReason.Incoming);
        PublishDropped(oldest, DropReason.Oldest);
        PublishDropped(newest, DropReason.Newest);
    }

    private void PublishDropped(int items, DropReason reason)
    {
        if (items > 0)
            PipelineMetrics.Dropped.Add(items, [.. Tags, new("actorpipeline.drop.reason", PipelineMetrics.ReasonTag(reason))]);
    }

    /// <summary><paramref name="items"/> counted as produced were refused after all (their queue failed before taking them).</summary>
    public void Withdraw(int items)
    {
        lock (_lock)
            _produced -= items;
    }

    /// <summary>A chunk goes to a consumer, <paramref name="firstTime"/> of its items for the first time; with
    /// <paramref name="progress"/>, its routee's progress counts from now on.</summary>
    public void Dispatch(int firstTime, ChunkProgress? progress)
    {
        Interlocked.Add(ref _dispatched, firstTime);
        if (progress is null)
            return;
        lock (_lock)
            _active.Add(progress);
    }

    /// <summary>A chunk's outcomes are known: call before its items' credit goes back.</summary>
    public void AddOutcomes(ChunkOutcome outcome, ChunkProgress? progress)
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

            if (progress is not null)
                _active.Remove(progress);
        }

        Publish(outcome.Succeeded, outcome.Failures.Count, outcome.Retried, outcome.Abandoned, outcome.Failures);
    }

    /// <summary>Items still unfinished when the pipeline had to end without the stream (it was stopped) count as failed.</summary>
    public long AbandonRest()
    {
        long rest;
        lock (_lock)
        {
            rest = _produced - _succeeded - _failed - _dropped;
            _failed += rest;
            _abandoned += rest;
            _active.Clear();
        }

        Publish(0, rest, 0, rest);
        return rest;
    }

    private void Publish(long succeeded, long failed, long retried, long abandoned = 0, IReadOnlyList<ItemFailure>? failures = null)
    {
        if (succeeded > 0)
            PipelineMetrics.Consumed.Add(succeeded, Tags);
        if (failed > 0)
        {
            PipelineMetrics.Failed.Add(failed, Tags);
            PublishFailures(failed, failures);
        }

        if (retried > 0)
            PipelineMetrics.Retried.Add(retried, Tags);
        if (abandoned > 0)
            PipelineMetrics.Abandoned.Add(abandoned, Tags);
    }

    // A failed item is consumed with error.type, its exception's type, as the conventions ask; items failed without an
    // exception at hand (the rest abandoned at a stop) carry "_OTHER".
    private void PublishFailures(long failed, IReadOnlyList<ItemFailure>? failures)
    {
        if (!PipelineMetrics.Consumed.Enabled)
            return;
        var typed = 0;
        foreach (var group in (failures ?? []).GroupBy(f => f.Cause.GetType().FullName ?? "_OTHER"))
        {
            var count = group.Count();
            typed += count;
            PipelineMetrics.Consumed.Add(count, [.. Tags, new("error.type", group.Key)]);
        }

        if (failed > typed)
            PipelineMetrics.Consumed.Add(failed - typed, [.. Tags, new("error.type", "_OTHER")]);
    }
}
