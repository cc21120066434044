using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Internal;

/// <summary>The stream between the producers and the consumer pool: queue → a bounded number of chunks at the pool → outcomes.</summary>
/// <remarks>
/// The queue holds <c>buffer-size / chunk</c> chunks, so it never holds more than <c>buffer-size</c> items. At most
/// <c>parallelism</c> chunks are at the pool at once, each awaiting its answer (<see cref="ChunkReply"/>), so routee
/// mailboxes never become an unbounded queue. Every chunk sent ends in an outcome — a stuck consumer, a crashed routee
/// or the stop deadline becomes a retry or a failure — so no exception reaches <c>SelectAsyncUnordered</c>, whose
/// default decider would stop the stream. The counts of each chunk are added where it finishes
/// (<see cref="PipelineCounters"/>); only chunks with failures travel on to the supervisor, for its callbacks and its
/// report, those that pile up while it is busy together. The sink waits for the supervisor's ack per delivery, and
/// its completion message is the proof that every item was processed.
/// </remarks>
internal sealed class PipelineStream<T> : IDisposable
{
    // Items that no handler has seen go back to the pool this many times at most (each time a routee died first).
    private const int MaxFreeResends = 16;

    // While the supervisor handles one delivery, outcomes gather (finished items only, so the capacity is untouched).
    private const int MaxOutcomesPerBatch = 256;

    private readonly IActorRef _pool;
    private readonly IActorRef _supervisor;
    private readonly PipelineSettings _settings;
    private readonly CancellationToken _abort;
    private readonly PipelineCounters _counters;
    private readonly CreditPool _credit;
    private readonly IActorRefProvider _provider;
    private readonly ActorPath _replyPath;
    private readonly Timer _sweeper;
    private readonly bool _ownRoutees;
    private readonly bool _holdCredit;
    private readonly bool _remoteRoutees;
    private readonly RouteeGate _gate = new();
    private IActorRef[] _routees = [];
    private uint _nextRoutee;
    private readonly long _stuckAfter;
    private readonly HashSet<IActorRef> _reportedStuck = [];
    private long _replies;
    private int _sweeping;
    private volatile bool _abandoned;

    private PipelineStream(
        IActorRef pool, IActorRef supervisor, PipelineSettings settings, PipelineCounters counters, CreditPool credit, bool ownRoutees,
        bool holdCredit, bool remoteRoutees, CancellationToken abort, IActorRefProvider provider)
    {
        _holdCredit = holdCredit;
        _remoteRoutees = remoteRoutees;
        if (!remoteRoutees)
            _gate.Open();
        abort.Register(_gate.Open);
        _pool = pool;
        _supervisor = supervisor;
        _settings = settings;
        _counters = counters;
        _credit = credit;
        _ownRoutees = ownRoutees;
        _abort = abort;
        _provider = provider;
        _replyPath = provider.TempPath();

        // One timer per pipeline finds consumers that stopped making progress. A timeout per ask would register a timer
        // per chunk, and the runtime's timer queue (one lock, one thread) then becomes the pipeline's bottleneck. A
        // routee gives up on an item of its own after consumer-timeout (checking when this sweep asks it to), so the
        // stream waits two sweeps longer before it calls a routee stuck.
        var sweep = SweepPeriod(settings.ConsumerTimeout);
        _stuckAfter = (long)((settings.ConsumerTimeout + 2 * sweep).TotalSeconds * Stopwatch.Frequency);
        _sweeper = new Timer(_ => Sweep(), null, sweep, sweep);
    }

    /// <summary>How often a pipeline looks for stuck consumers: a quarter of consumer-timeout, between 10 ms and 1 s.</summary>
    public static TimeSpan SweepPeriod(TimeSpan consumerTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(consumerTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));

    /// <summary>Chunks the queue holds: as many whole chunks as fit in <c>buffer-size</c> items, at least one.</summary>
    public static int QueueChunks(PipelineSettings settings) => Math.Max(1, settings.BufferSize / settings.EffectiveChunkSize);

    /// <summary>Materializes the stream; returns the queue and its feed for producers and the gateway, the switch that
    /// tears the stream down, and the stream itself, to be disposed when the pipeline stops. With
    /// <c>ownRoutees</c>, the pool's routees are this library's, in this process: they report progress item by item. With
    /// <c>holdCredit</c>, a chunk's credit goes back only when the supervisor has delivered its results. With
    /// <c>remoteRoutees</c>, routees may live on other nodes: replies are registered so they resolve there, and chunks
    /// go to the routees <see cref="SetRoutees"/> names, waiting while there are none.</summary>
    public static (ISourceQueueWithComplete<Chunk<T>> Queue, QueueFeed<Chunk<T>> Feed, UniqueKillSwitch KillSwitch, PipelineStream<T> Stream) Run(
        PipelineSettings settings, IActorRef pool, IActorRef supervisor, PipelineCounters counters, CreditPool credit, bool ownRoutees,
        bool holdCredit, bool remoteRoutees, CancellationToken abort, ActorMaterializer materializer)
    {
        var stream = new PipelineStream<T>(
            pool, supervisor, settings, counters, credit, ownRoutees, holdCredit, remoteRoutees, abort, ((ExtendedActorSystem)materializer.System).Provider);
        var (source, feed) = QueueFeed<Chunk<T>>.Queue(QueueChunks(settings));
        var ((queue, killSwitch), terminated) = source
            .ViaMaterialized(KillSwitches.Single<Chunk<T>>(), Keep.Both)
            .WatchTermination(Keep.Both)
            .BatchWeighted(settings.ChunkSize, chunk => chunk.Items.Length, chunk => new ChunkBatch<T>(chunk, settings.ChunkSize), (batch, chunk) => batch.Add(chunk))
            .SelectAsyncUnordered(settings.EffectiveParallelism, batch => stream.DispatchAsync(batch.ToChunk()))
            .Where(outcome => outcome.Failures.Count > 0 || outcome.HeldCredit > 0)
            .Batch(MaxOutcomesPerBatch, outcome => new OutcomeBatch(outcome), (batch, outcome) => batch.Add(outcome))
            .To(Sink.ActorRefWithAck<OutcomeBatch>(
                supervisor, StreamInit.Instance, StreamAck.Instance, StreamCompleted.Instance, ex => new StreamFailed(ex)))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(materializer);

        // The sink reports failures of the stages before it; this catches the stream itself dying (its actor
        // stopped, a stage that threw while stopping), which would otherwise leave the report pending for ever.
        terminated.ContinueWith(
            static (done, supervisor) => ((IActorRef)supervisor!).Tell(new StreamFailed(Exceptions.Unwrap(done.Exception!))),
            supervisor,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return (queue, feed, killSwitch, stream);
    }

    public void Dispose() => _sweeper.Dispose();

    /// <summary>The stop deadline has passed: every item not finished yet fails as abandoned, the ones at consumers at
    /// once (those already finished keep their outcome), the ones still on their way as they reach the pool.</summary>
    public void Abandon()
    {
        _abandoned = true;
        _gate.Open();
        foreach (var dispatch in _counters.Active)
            dispatch?.Current?.Expire(ChunkReply.Expiry.Abandoned);
    }

    /// <summary>The pool's routees now, on whatever nodes, for the chunks to come. While there are none, chunks wait
    /// here, and the producers with them: a pool without routees drops what it is sent.</summary>
    public void SetRoutees(IActorRef[] routees)
    {
        Volatile.Write(ref _routees, routees);
        if (routees.Length > 0)
            _gate.Open();
        else if (!_abandoned && !_abort.IsCancellationRequested)
            _gate.Close();
    }

    /// <summary>A routee on another node is gone: the chunks it held are sent again, each item it may have begun for one attempt.</summary>
    public void RouteeLost(IActorRef routee)
    {
        var routees = Volatile.Read(ref _routees);
        if (Array.IndexOf(routees, routee) >= 0)
            SetRoutees(routees.Where(r => !r.Equals(routee)).ToArray());
        foreach (var dispatch in _counters.Active)
            if (dispatch?.Current is { } reply && routee.Equals(reply.RemoteRoutee))
                reply.Expire(ChunkReply.Expiry.RouteeLost);
    }

    // On the sweeper's thread only. A routee of ours that took a chunk is stuck when it has shown no sign of life (an
    // item finished or begun, a check answered) for consumer-timeout plus two sweeps; a chunk no routee of ours took by then went to one that is stuck
    // or gone. Any other consumer is judged by its chunk's deadline, which grows with the chunk.
    private void Sweep()
    {
        // A timer may call back again while a slow sweep still runs; one sweep at a time owns the fields it writes.
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
            return;
        try
        {
            SweepOnce(Stopwatch.GetTimestamp());
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private void SweepOnce(long now)
    {
        foreach (var dispatch in _counters.Active)
        {
            if (dispatch?.Current is not { } reply)
                continue;

            if (reply.RemoteRoutee is { } remote)
            {
                // Progress does not cross nodes: a remote routee is judged by its chunk's deadline from when it began it,
                // and the chunks queued behind one it is stuck on are given up with it. A chunk it never said it took
                // was lost on the way (or went to a routee already gone): it is sent again after the same wait as a
                // chunk no local routee took.
                var began = reply.RemoteStartedAt;
                if (!reply.RemoteTaken && now > reply.Deadline)
                    reply.Expire(ChunkReply.Expiry.Overdue);
                else if (began != 0 && now - began > reply.RemoteWait && reply.Expire(ChunkReply.Expiry.Overdue))
                {
                    foreach (var other in _counters.Active)
                        if (other?.Current is { } queued && remote.Equals(queued.RemoteRoutee))
                            queued.Expire(ChunkReply.Expiry.Overdue);
                    _supervisor.Tell(new ConsumerStuck(remote));
                }
                else if (began != 0)
                {
                    remote.Tell(CheckHandler.Instance);
                }
            }
            else if (reply.Routee is { } routee)
            {
                if (routee.Items != routee.SeenItems)
                {
                    (routee.SeenItems, routee.SeenAt) = (routee.Items, now);
                }
                else if (now - routee.SeenAt > _stuckAfter && reply.Expire(ChunkReply.Expiry.Overdue) && _reportedStuck.Add(routee.Routee))
                {
                    _supervisor.Tell(new ConsumerStuck(routee.Routee));
                }
                else
                {
                    // No progress since the last sweep: an item may be past consumer-timeout in an asynchronous handler.
                    routee.Routee.Tell(CheckHandler.Instance);
                }
            }
            else if (now > reply.Deadline)
            {
                reply.Expire(ChunkReply.Expiry.Overdue);
            }
        }
    }

    /// <summary>Hands a chunk to the pool until every item has an outcome, retrying what a consumer left unfinished.</summary>
    /// <remarks>
    /// Items are sent in runs that share an attempt number. When a consumer stops short, only items that were (or may
    /// have been) in a handler spend an attempt: the one item a stuck or crashed routee was handling, or every item of
    /// a chunk that another kind of consumer never answered. Items no handler has seen are sent again for free, a
    /// bounded number of times.
    /// </remarks>
    private async Task<ChunkOutcome> DispatchAsync(Chunk<T> chunk)
    {
        var items = chunk.Items;
        var dispatch = new Dispatch(chunk.Id, items.Length);
        var place = _counters.Begin(dispatch);
        var outcome = new OutcomeBuilder(items.Length);
        int[]? tries = null;
        int[]? redeliveries = null;
        List<string>? lost = null;
        var offset = 0;
        var freeResends = 0;
        while (offset < items.Length)
        {
            if (_abort.IsCancellationRequested)
            {
                outcome.Fail(items, offset, items.Length, tries, tried: false,
                    new OperationCanceledException("The pipeline was aborted before this item reached a consumer."));
                break;
            }

            if (_abandoned)
            {
                outcome.Abandon(items, offset, items.Length, tries, tried: false);
                break;
            }

            if (!_gate.IsOpen)
                await _gate.WaitAsync().ConfigureAwait(false);

            var attempt = tries?[offset] ?? 0;
            var end = offset + 1;
            while (end < items.Length && (tries?[end] ?? 0) == attempt)
                end++;

            var (reply, known, expiry) = await AskAsync(dispatch, chunk.Id, offset == 0 && end == items.Length ? items : items[offset..end], attempt);
            outcome.Add(reply, items, offset);
            _counters.Settle(dispatch, outcome.Succeeded, outcome.FailedCount);
            offset += reply.Answered;
            if (offset == end)
                continue;

            // Known: the answer, or a routee's own progress, says whether the first unfinished item was in a handler.
            var tried = !known ? end - offset : reply.InterruptedItemStarted ? 1 : 0;
            if (expiry == ChunkReply.Expiry.Abandoned)
            {
                outcome.Abandon(items, offset, offset + tried, tries, tried: true);
                outcome.Abandon(items, offset + tried, items.Length, tries, tried: false);
                break;
            }

            var cause = reply.Interruption ?? new InvalidOperationException(
                $"Consumer {reply.Consumer} answered {reply.Answered} of {end - offset + reply.Answered} items without saying why.");
            if (tried == 0)
            {
                // A consumer that keeps giving items back unseen is a fault, and so is a chunk that never arrives (Akka.Remote
                // drops one larger than its maximum frame size); losing a routee is not: its chunks go elsewhere.
                if (expiry != ChunkReply.Expiry.RouteeLost && ++freeResends > MaxFreeResends)
                {
                    outcome.Fail(items, offset, items.Length, tries, tried: false, cause);
                    break;
                }

                continue;
            }

            if (expiry == ChunkReply.Expiry.RouteeLost || IsLoss(reply.Interruption))
            {
                // The lost consumer may have begun these items: they go again without spending a retry, each item at
                // most max-redeliveries times, so a poison item that kills every node it reaches still ends.
                redeliveries ??= new int[items.Length];
                (lost ??= []).Add(reply.Consumer.Length > 0 ? reply.Consumer : "a consumer");
                var most = 0;
                for (var i = offset; i < offset + tried; i++)
                    most = Math.Max(most, ++redeliveries[i]);
                if (most > _settings.MaxRedeliveries)
                {
                    outcome.Fail(items, offset, offset + tried, tries, tried: true, new ConsumerLostException(
                        $"Every consumer that held the item was lost before it answered ({string.Join(", ", lost)}); it was sent " +
                        $"{_settings.MaxRedeliveries + 1} times in all (max-redeliveries = {_settings.MaxRedeliveries})."));
                    offset += tried;
                }

                continue;
            }

            if (attempt >= _settings.MaxRetries)
            {
                outcome.Fail(items, offset, offset + tried, tries, tried: true, cause);
                offset += tried;
                continue;
            }

            tries ??= new int[items.Length];
            for (var i = offset; i < offset + tried; i++)
                tries[i] = attempt + 1;
            outcome.Retried += tried;
        }

        // Counted first, then the credit goes back: a status never shows more items in flight than the capacity. Results
        // not yet delivered still hold theirs, so the capacity bounds them too.
        var built = outcome.Build();
        _counters.AddOutcomes(built, place);
        if (_holdCredit && built.Results is not null)
            return built with { HeldCredit = items.Length };
        _credit.Return(items.Length);
        return built;
    }

    /// <summary>Asks the pool to consume <paramref name="items"/>.</summary>
    /// <returns>The answer, or what is known when none came; <c>Known</c> is false when nothing tells whether the first
    /// unanswered item was in a handler; <c>Expiry</c> says why the stream gave up waiting, if it did.</returns>
    private async Task<(ChunkConsumed Reply, bool Known, ChunkReply.Expiry Expiry)> AskAsync(Dispatch dispatch, long chunkId, T[] items, int attempt)
    {
        // A routee of ours reports progress, and is judged by it (see Sweep); this deadline counts only until one takes
        // the chunk. Another consumer has consumer-timeout per item and retry, and one more, to answer.
        var wait = _ownRoutees ? TimeSpan.Zero : _settings.ConsumerTimeout * ((double)items.Length * (_settings.MaxRetries + 1) + 1);
        var deadline = _ownRoutees ? _stuckAfter : (long)(wait.TotalSeconds * Stopwatch.Frequency);
        ChunkReply reply;
        ActorPath? registered = null;
        var target = _pool;
        if (_remoteRoutees)
        {
            // The stream picks the routee itself, round robin over the pool's routees, so that it knows which chunks
            // a lost routee held; a routee on another node answers by path, so the reply is registered where that
            // path resolves.
            var routees = Volatile.Read(ref _routees);
            target = routees.Length > 0 ? routees[Interlocked.Increment(ref _nextRoutee) % (uint)routees.Length] : _pool;
            registered = _provider.TempPath();
            var remoteWait = _settings.ConsumerTimeout * ((double)items.Length * (_settings.MaxRetries + 1)) + 2 * SweepPeriod(_settings.ConsumerTimeout);
            reply = new ChunkReply(registered, _provider, Stopwatch.GetTimestamp() + deadline, target)
            {
                RemoteWait = (long)(remoteWait.TotalSeconds * Stopwatch.Frequency),
            };
            _provider.RegisterTempActor(reply, registered);
        }
        else
        {
            reply = new ChunkReply(_replyPath.WithUid(Interlocked.Increment(ref _replies)), _provider, Stopwatch.GetTimestamp() + deadline);
        }

        dispatch.Current = reply;
        if (_abandoned)
            reply.Expire(ChunkReply.Expiry.Abandoned);
        else
            target.Tell(new ConsumeChunk<T>(chunkId, items, attempt), reply);
        try
        {
            var answer = await reply.Answer.ConfigureAwait(false);
            return (answer.Answered >= 0 && answer.Answered <= items.Length ? answer : answer with { Answered = Math.Clamp(answer.Answered, 0, items.Length) }, true, ChunkReply.Expiry.None);
        }
        catch (Exception e) when (reply.Answer.IsCanceled)
        {
            var expiry = reply.Expired;
            Exception cause = expiry == ChunkReply.Expiry.Abandoned
                ? new ItemAbandonedException("The pipeline's stop deadline passed before the item finished.")
                : expiry == ChunkReply.Expiry.RouteeLost
                    ? new ConsumerLostException($"Consumer {reply.RemoteRoutee?.Path} was lost (its node left or died) before it answered.")
                : reply.RemoteRoutee is { } remote
                    ? reply.RemoteTaken
                        ? new TimeoutException($"Consumer {remote.Path} did not answer a chunk of {items.Length} items within consumer-timeout ({_settings.ConsumerTimeout}) per item and try.", e)
                        : new TimeoutException($"Consumer {remote.Path} never acknowledged a chunk of {items.Length} items: it was lost on the way, or larger than akka.remote.dot-netty.tcp.maximum-frame-size.", e)
                : reply.Routee is { } routee
                    ? new TimeoutException($"Consumer {routee.Name} finished nothing for longer than consumer-timeout ({_settings.ConsumerTimeout}) and two sweeps; it is replaced.", e)
                    : _ownRoutees
                        ? new TimeoutException($"No consumer took a chunk of {items.Length} items within consumer-timeout ({_settings.ConsumerTimeout}) and two sweeps.", e)
                        : new TimeoutException($"No consumer answered a chunk of {items.Length} items within {wait}.", e);

            // A routee of ours in this process says through its progress what it finished, and whether it had begun.
            // One on another node says only whether it began the chunk: then any of its items may have been in a
            // handler. From another consumer nothing is known, and every item it had counts as tried.
            var known = _ownRoutees && (reply.RemoteRoutee is null || reply.RemoteStartedAt == 0);
            var partial = reply.Partial(chunkId, cause);
            return (expiry == ChunkReply.Expiry.RouteeLost && reply.RemoteRoutee is { } lost ? partial with { Consumer = lost.Path.ToString() } : partial, known, expiry);
        }
        catch (Exception e)
        {
            return (new ChunkConsumed(chunkId, string.Empty, 0, [], 0, Exceptions.Unwrap(e)), false, ChunkReply.Expiry.None);
        }
        finally
        {
            if (registered is not null)
                _provider.UnregisterTempActor(registered);
        }
    }

    // A routee that stopped (rather than crashed) answers with a ConsumerLostException, which crosses nodes by name.
    private static bool IsLoss(Exception? interruption) =>
        interruption is ConsumerLostException or RemoteFailureException { ExceptionType: "ActorPipeline.ConsumerLostException" };

    private sealed class OutcomeBuilder(int items)
    {
        // Nearly always one consumer answers the whole chunk: a list searched in place beats a dictionary here.
        private readonly List<KeyValuePair<string, int>> _processed = new(1);
        private List<ItemFailure>? _failures;
        private List<ResultRun>? _results;
        private int _abandoned;

        public int Retried { get; set; }

        public int Succeeded { get; private set; }

        public int FailedCount => _failures?.Count ?? 0;

        public void Add(ChunkConsumed reply, T[] items, int offset)
        {
            Retried += reply.Retried;
            if (reply.Answered == 0)
                return;
            var known = 0;
            while (known < _processed.Count && _processed[known].Key != reply.Consumer)
                known++;
            if (known == _processed.Count)
                _processed.Add(new(reply.Consumer, reply.Answered));
            else
                _processed[known] = new(reply.Consumer, _processed[known].Value + reply.Answered);
            var succeeded = reply.Answered;
            foreach (var fault in reply.Failures)
            {
                // A custom consumer may name an index it did not answer for; only answered items can have failed.
                if (fault.Index < 0 || fault.Index >= reply.Answered)
                    continue;
                succeeded--;
                (_failures ??= []).Add(new ItemFailure<T>(items[offset + fault.Index], fault.Cause, fault.Attempts, reply.Consumer));
            }

            Succeeded += succeeded;
            if (reply.Results is { } results && succeeded > 0)
                (_results ??= new(1)).Add(new ResultRun(results, Math.Min(succeeded, results.Length)));
        }

        public void Fail(T[] items, int from, int to, int[]? tries, bool tried, Exception cause)
        {
            for (var i = from; i < to; i++)
                (_failures ??= []).Add(new ItemFailure<T>(items[i], cause, (tries?[i] ?? 0) + (tried ? 1 : 0), null));
        }

        public void Abandon(T[] items, int from, int to, int[]? tries, bool tried)
        {
            if (from >= to)
                return;
            Fail(items, from, to, tries, tried, new ItemAbandonedException("The pipeline's stop deadline passed before the item finished."));
            _abandoned += to - from;
        }

        public ChunkOutcome Build() =>
            new(items, Succeeded, Retried, _processed, (IReadOnlyList<ItemFailure>?)_failures ?? [], _abandoned, _results);
    }
}

/// <summary>Open while the consumer pool has routees; chunks wait at a closed gate.</summary>
internal sealed class RouteeGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _open;

    public bool IsOpen => _open;

    public Task WaitAsync()
    {
        lock (_lock)
            return _opened.Task;
    }

    public void Open()
    {
        lock (_lock)
        {
            _open = true;
            _opened.TrySetResult();
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            if (!_open)
                return;
            _open = false;
            _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
