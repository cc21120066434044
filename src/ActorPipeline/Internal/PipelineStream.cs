using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Internal;

/// <summary>The stream between the gateway and the consumer pool: queue → a bounded number of chunks at the pool → outcomes to the supervisor.</summary>
/// <remarks>
/// The queue holds <c>buffer-size / chunk</c> chunks, so it never holds more than <c>buffer-size</c> items. At most
/// <c>parallelism</c> chunks are at the pool at once, each awaiting its answer (<see cref="ChunkReply"/>), so routee
/// mailboxes never become an unbounded queue. Every chunk sent ends in an outcome — a timeout or a crashed routee
/// becomes a retry or a failure — so no exception reaches <c>SelectAsyncUnordered</c>, whose default decider would
/// stop the stream. The counts of each chunk are added where it finishes (<see cref="PipelineCounters"/>); only chunks
/// with failures travel on to the supervisor, for its callbacks and its report, those that pile up while it is busy
/// together. The sink waits for the supervisor's ack per delivery, and its completion message is the proof that every
/// item was processed.
/// </remarks>
internal sealed class PipelineStream<T> : IDisposable
{
    private readonly IActorRef _pool;
    private readonly PipelineSettings _settings;
    private readonly CancellationToken _abort;
    private readonly PipelineCounters _counters;
    private readonly CreditPool _credit;
    // One place per chunk the stream may have at the pool (parallelism), each holding the reply its chunk awaits. No
    // lock and no hashing per ask, where a concurrent dictionary made the stream and the routees contend.
    private readonly ChunkReply?[] _pending;
    private readonly IActorRefProvider _provider;
    private readonly ActorPath _replyPath;
    private long _replies;
    private readonly Timer _sweeper;

    private PipelineStream(
        IActorRef pool, PipelineSettings settings, PipelineCounters counters, CreditPool credit, CancellationToken abort, IActorRefProvider provider)
    {
        _credit = credit;
        _pool = pool;
        _provider = provider;
        _replyPath = provider.TempPath();
        _pending = new ChunkReply?[settings.EffectiveParallelism];
        _settings = settings;
        _counters = counters;
        _abort = abort;

        // One timer per pipeline finds overdue asks. A timeout per ask would register a timer per chunk, and the
        // runtime's timer queue (one lock, one thread) then becomes the pipeline's bottleneck.
        var period = TimeSpan.FromTicks(Math.Clamp(settings.ConsumerTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _sweeper = new Timer(_ => CancelOverdue(), null, period, period);
    }

    /// <summary>Chunks the queue holds: as many whole chunks as fit in <c>buffer-size</c> items, at least one.</summary>
    public static int QueueChunks(PipelineSettings settings) => Math.Max(1, settings.BufferSize / settings.EffectiveChunkSize);

    /// <summary>Materializes the stream; returns the queue and its feed for the gateway, the switch that tears the
    /// stream down, and the stream's deadline timer, to be disposed when the pipeline stops.</summary>
    public static (ISourceQueueWithComplete<Chunk<T>> Queue, QueueFeed<Chunk<T>> Feed, UniqueKillSwitch KillSwitch, IDisposable Stream) Run(
        PipelineSettings settings, IActorRef pool, IActorRef supervisor, PipelineCounters counters, CreditPool credit, CancellationToken abort,
        ActorMaterializer materializer)
    {
        var stream = new PipelineStream<T>(pool, settings, counters, credit, abort, ((ExtendedActorSystem)materializer.System).Provider);
        var (source, feed) = QueueFeed<Chunk<T>>.Queue(QueueChunks(settings));
        var ((queue, killSwitch), terminated) = source
            .ViaMaterialized(KillSwitches.Single<Chunk<T>>(), Keep.Both)
            .WatchTermination(Keep.Both)
            .BatchWeighted(settings.ChunkSize, chunk => chunk.Items.Length, chunk => new ChunkBatch<T>(chunk, settings.ChunkSize), (batch, chunk) => batch.Add(chunk))
            .SelectAsyncUnordered(settings.EffectiveParallelism, batch => stream.DispatchAsync(batch.ToChunk()))
            .Where(outcome => outcome.Failures.Count > 0)
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

    private void CancelOverdue()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var reply in _pending)
        {
            if (reply is not null && now > reply.Deadline)
                reply.Expire();
        }
    }

    /// <summary>Hands a chunk to the pool until every item has an outcome, retrying what a consumer left unfinished.</summary>
    /// <remarks>
    /// Items are sent in runs that share an attempt number. When a consumer stops short, only items that were (or may
    /// have been) in a handler spend an attempt: the one item a crashed routee was handling, or every item of a chunk
    /// that got no answer at all. Items no handler has seen are sent again for free, a bounded number of times.
    /// </remarks>
    private async Task<ChunkOutcome> DispatchAsync(Chunk<T> chunk)
    {
        var items = chunk.Items;
        _counters.AddDispatched(items.Length);
        var outcome = new OutcomeBuilder(items.Length);
        int[]? tries = null;
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

            var attempt = tries?[offset] ?? 0;
            var end = offset + 1;
            while (end < items.Length && (tries?[end] ?? 0) == attempt)
                end++;

            var (reply, answered) = await AskAsync(chunk.Id, offset == 0 && end == items.Length ? items : items[offset..end], attempt);
            outcome.Add(reply, items, offset);
            offset += reply.Answered;
            if (offset == end)
                continue;

            var cause = reply.Interruption ?? new InvalidOperationException(
                $"Consumer {reply.Consumer} answered {reply.Answered} of {end - offset + reply.Answered} items without saying why.");
            var tried = !answered ? end - offset : reply.InterruptedItemStarted ? 1 : 0;
            if (tried == 0)
            {
                if (++freeResends > MaxFreeResends)
                {
                    outcome.Fail(items, offset, items.Length, tries, tried: false, cause);
                    break;
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

        // Counted first, then the credit goes back: a status never shows more items in flight than the capacity.
        var built = outcome.Build();
        _counters.AddOutcomes(built);
        _credit.Return(items.Length);
        return built;
    }

    // While the supervisor handles one delivery, outcomes gather (finished items only, so the in-flight bound is untouched).
    private const int MaxOutcomesPerBatch = 256;

    // Items that no handler has seen go back to the pool this many times at most (each time a routee died first).
    private const int MaxFreeResends = 16;

    /// <summary>Asks the pool to consume <paramref name="items"/>; <c>Answered</c> is false when no consumer replied.</summary>
    private async Task<(ChunkConsumed Reply, bool Answered)> AskAsync(long chunkId, T[] items, int attempt)
    {
        // Our routees bound each item by consumer-timeout and always answer; this deadline only catches a consumer
        // that never answers (a custom one that crashed, or a routee stopped from outside).
        var deadline = _settings.ConsumerTimeout * ((double)items.Length * (_settings.MaxRetries + 1) + 1);
        var reply = new ChunkReply(
            _replyPath.WithUid(Interlocked.Increment(ref _replies)), _provider,
            Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency));
        var place = Hold(reply);
        try
        {
            _pool.Tell(new ConsumeChunk<T>(chunkId, items, attempt), reply);
            var answer = await reply.Answer.ConfigureAwait(false);
            return (answer.Answered >= 0 && answer.Answered <= items.Length ? answer : answer with { Answered = Math.Clamp(answer.Answered, 0, items.Length) }, true);
        }
        catch (Exception e)
        {
            var cause = reply.Answer.IsCanceled
                ? new TimeoutException($"No consumer answered a chunk of {items.Length} items within {deadline}.", e)
                : Exceptions.Unwrap(e);
            return (new ChunkConsumed(chunkId, string.Empty, 0, [], 0, cause), false);
        }
        finally
        {
            Volatile.Write(ref _pending[place], null);
        }
    }

    /// <summary>Keeps <paramref name="reply"/> where the sweeper sees it; returns its place.</summary>
    /// <remarks>At most <c>parallelism</c> chunks are at the pool, each awaiting one reply, so a place is always free.</remarks>
    private int Hold(ChunkReply reply)
    {
        var start = (int)((ulong)reply.Path.Uid % (ulong)_pending.Length);
        for (var i = 0; ; i++)
        {
            var place = (start + i) % _pending.Length;
            if (Interlocked.CompareExchange(ref _pending[place], reply, null) is null)
                return place;
        }
    }

    private sealed class OutcomeBuilder(int items)
    {
        // Nearly always one consumer answers the whole chunk: a list searched in place beats a dictionary here.
        private readonly List<KeyValuePair<string, int>> _processed = new(1);
        private List<ItemFailure>? _failures;
        private int _succeeded;

        public int Retried { get; set; }

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
            _succeeded += reply.Answered;
            foreach (var fault in reply.Failures)
            {
                // A custom consumer may name an index it did not answer for; only answered items can have failed.
                if (fault.Index < 0 || fault.Index >= reply.Answered)
                    continue;
                _succeeded--;
                (_failures ??= []).Add(new ItemFailure(items[offset + fault.Index], fault.Cause, fault.Attempts, reply.Consumer));
            }
        }

        public void Fail(T[] items, int from, int to, int[]? tries, bool tried, Exception cause)
        {
            for (var i = from; i < to; i++)
                (_failures ??= []).Add(new ItemFailure(items[i], cause, (tries?[i] ?? 0) + (tried ? 1 : 0), null));
        }

        public ChunkOutcome Build() =>
            new(items, _succeeded, Retried, _processed, (IReadOnlyList<ItemFailure>?)_failures ?? []);
    }
}
