using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>The sender of one chunk's work: the consumer's answer completes <see cref="Answer"/>, and a routee of this
/// process reports its progress here item by item.</summary>
/// <remarks>
/// It does what <c>Ask</c> does for the stream, without Ask's costs per chunk: no temporary actor registered with the
/// system and no timeout or cancellation registration (the stream's sweeper calls <see cref="Expire"/>). The stream
/// continues on the thread pool, not on the consumer's thread: run inline, the stream's work delayed the consumer's
/// next chunk, and with ~2 µs of work per item and a small buffer the pipeline reached 0.64-0.81× the channel instead
/// of 0.94-1.02×. Its path is the stream's temporary path with a uid of its own; nothing resolves that path, and a
/// consumer can only answer it, which is all the consumer protocol asks.
/// <para>
/// Progress (<see cref="Advance"/>) is what the pipeline knows of a chunk before its answer: the status counts the
/// items a routee has finished, and a chunk given up (its consumer stuck, or the stop deadline) keeps the outcomes of
/// the items finished before, instead of counting them as failed.
/// </para>
/// <para>
/// A routee on another node cannot reach this object: the stream then registers it under a temporary path of its own,
/// as <c>Ask</c> does, sends the chunk to that routee itself (<paramref name="remoteRoutee"/>), and the routee says
/// when it began the chunk (<see cref="ChunkTaken"/>), so a chunk held by a routee whose node is lost is sent again, and
/// its items spend an attempt only if they may have been in a handler.
/// </para>
/// </remarks>
internal sealed class ChunkReply(ActorPath path, IActorRefProvider provider, long deadline, IActorRef? remoteRoutee = null) : MinimalActorRef
{
    private readonly TaskCompletionSource<ChunkConsumed> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private List<ItemFault>? _faults;

    // Items finished (high half) and of those failed (low half), written together so a reader never sees one without the other.
    private long _progress;
    private int _retried;
    private RouteeProgress? _routee;
    private int _expiry;
    private bool _started;
    private Array? _results;
    private long _remoteStartedAt;
    private bool _remoteTaken;

    public override ActorPath Path { get; } = path;

    public override IActorRefProvider Provider { get; } = provider;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp after which a consumer that reports no progress is overdue.</summary>
    public long Deadline { get; } = deadline;

    /// <summary>The consumer's answer, or the reason there will be none.</summary>
    public Task<ChunkConsumed> Answer => _answer.Task;

    /// <summary>The routee that took the chunk, once one has (a routee of this process only).</summary>
    public RouteeProgress? Routee => Volatile.Read(ref _routee);

    /// <summary>Items the routee has finished so far, from the first, and of those the items that failed.</summary>
    public (int Answered, int Failed) Progress
    {
        get
        {
            var progress = Volatile.Read(ref _progress);
            return ((int)(progress >> 32), (int)progress);
        }
    }

    /// <summary>How long, in <see cref="System.Diagnostics.Stopwatch"/> ticks, a routee on another node may take over the chunk once begun.</summary>
    public long RemoteWait { get; init; }

    /// <summary>The routee on another node the chunk was sent to.</summary>
    public IActorRef? RemoteRoutee { get; } = remoteRoutee;

    /// <summary>Whether the remote routee has said it holds the chunk.</summary>
    public bool RemoteTaken => Volatile.Read(ref _remoteTaken);

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp at which the remote routee began the chunk, 0 before.</summary>
    public long RemoteStartedAt => Volatile.Read(ref _remoteStartedAt);

    /// <summary>Why the stream gave up waiting, once it has.</summary>
    public Expiry Expired => (Expiry)Volatile.Read(ref _expiry);

    /// <summary>The routee <paramref name="routee"/> has taken the chunk.</summary>
    public void Received(RouteeProgress routee) => Volatile.Write(ref _routee, routee);

    /// <summary>The routee has begun the chunk's first item; it writes the results of the items that succeed into
    /// <paramref name="results"/> (when its handler returns results) before it reports them finished.</summary>
    public void Started(Array? results)
    {
        _results = results;
        Volatile.Write(ref _started, true);
    }

    /// <summary>The routee finished the items before <paramref name="answered"/>; <paramref name="fault"/> is set when the last of them failed.</summary>
    public void Advance(int answered, int retried, ItemFault? fault)
    {
        var failed = (int)_progress;
        if (fault is not null)
        {
            lock (_lock)
                (_faults ??= []).Add(fault);
            failed++;
        }

        _retried = retried;
        Volatile.Write(ref _progress, ((long)answered << 32) | (uint)failed);
    }

    /// <summary>What is known of the chunk now, as an answer that stops at the first unfinished item, for <paramref name="reason"/>.</summary>
    public ChunkConsumed Partial(long chunkId, Exception reason)
    {
        lock (_lock)
        {
            var answered = Progress.Answered;
            var started = Volatile.Read(ref _started);
            return new ChunkConsumed(
                chunkId, _routee?.Name ?? string.Empty, answered, _faults?.Where(f => f.Index < answered).ToArray() ?? [], _retried, reason,
                InterruptedItemStarted: started)
            {
                Results = started ? _results : null,
            };
        }
    }

    /// <summary>Gives up waiting: <see cref="Answer"/> is cancelled unless the answer came first; false if it did.</summary>
    public bool Expire(Expiry why)
    {
        Interlocked.CompareExchange(ref _expiry, (int)why, (int)Expiry.None);
        return _answer.TrySetCanceled();
    }

    protected override void TellInternal(object message, IActorRef sender)
    {
        switch (message)
        {
            case ChunkConsumed consumed:
                _answer.TrySetResult(consumed);
                break;
            case ChunkTaken taken:
                Volatile.Write(ref _remoteTaken, true);
                if (taken.Started)
                    Interlocked.CompareExchange(ref _remoteStartedAt, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
                break;
            case Status.Failure failure:
                _answer.TrySetException(failure.Cause ?? new InvalidOperationException("The consumer answered with a failure that has no cause."));
                break;
            default:
                _answer.TrySetException(new InvalidOperationException(
                    $"The consumer answered {message?.GetType().Name ?? "null"} instead of {nameof(ChunkConsumed)}."));
                break;
        }
    }

    /// <summary>Why a reply was given up.</summary>
    public enum Expiry
    {
        /// <summary>It was not.</summary>
        None,

        /// <summary>Its consumer made no progress for longer than it may.</summary>
        Overdue,

        /// <summary>The pipeline's stop deadline passed.</summary>
        Abandoned,

        /// <summary>The routee on another node that held the chunk is gone (its node left or died).</summary>
        RouteeLost,
    }
}

/// <summary>How far one routee has got: the items it has finished, counted by the routee, and when the stream's sweeper
/// last saw that count move.</summary>
internal sealed class RouteeProgress(IActorRef routee)
{
    private long _items;

    public IActorRef Routee { get; } = routee;

    public string Name { get; } = routee.Path.Name;

    /// <summary>Signs of life, ever: items the routee has finished or started, and checks it has answered; only the routee writes it.</summary>
    public long Items => Volatile.Read(ref _items);

    public void Moved() => Volatile.Write(ref _items, _items + 1);

    // The sweeper's own: the count it saw last, and when it changed.
    public long SeenItems { get; set; } = -1;

    public long SeenAt { get; set; }
}
