using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Internal;

/// <summary>Chunks handed over by producers and the gateway, offered to the stream's queue in the order they were handed
/// over, as fast as the stream takes them, never by an offer the queue could refuse.</summary>
/// <remarks>
/// A backpressured <c>Source.Queue</c> refuses an offer only when its buffer is full and another offer is already
/// pending. It handles offers in the order they arrive, and only a pull by the stream frees a place. So while the
/// chunks offered and not yet seen leaving the queue fit in its buffer plus the one pending place (the window), no
/// offer can be refused. The stage right after the queue counts the chunks leaving it and, on the stream's own
/// thread, offers the next chunks handed over: an offer made there is handled by the stream right after the current
/// step, with no message and no other actor in the loop. A thread that hands a chunk over offers it only when nothing
/// is in the queue's way (every offer taken), because its offer travels through the stream actor's mailbox and one
/// made by a pull would overtake it. Any thread may hand chunks over: the lock orders them.
/// </remarks>
internal sealed class QueueFeed<TChunk>
{
    private readonly Lock _lock = new();
    private readonly Queue<TChunk> _handed = new();
    private ISourceQueueWithComplete<TChunk>? _queue;
    private long _offered;
    private long _pulled;
    private long _handedTotal;
    private long _ids;
    private bool _completing;
    private bool _completed;
    private long _wakeAt = long.MaxValue;
    private IActorRef _waiter = ActorRefs.Nobody;

    // The stream's thread only: chunks a pull offers, at most a window's worth.
    private readonly TChunk[] _offering;

    private QueueFeed(int bufferChunks)
    {
        Window = bufferChunks + 1;
        _offering = new TChunk[Window];
    }

    /// <summary>Chunks that may be offered and not yet have left the queue: its buffer and its one pending offer.</summary>
    public int Window { get; }

    /// <summary>A backpressured queue of <paramref name="bufferChunks"/> chunks, fed by the returned feed once
    /// materialized; <paramref name="taken"/> sees each chunk as it leaves the queue, on the stream's thread.</summary>
    public static (Source<TChunk, ISourceQueueWithComplete<TChunk>> Source, QueueFeed<TChunk> Feed) Queue(int bufferChunks, Action<TChunk>? taken = null)
    {
        var feed = new QueueFeed<TChunk>(bufferChunks);
        var source = Source.Queue<TChunk>(bufferChunks, OverflowStrategy.Backpressure)
            .MapMaterializedValue(queue =>
            {
                feed._queue = queue;
                return queue;
            })
            .Select(chunk =>
            {
                feed.OnPulled();
                taken?.Invoke(chunk);
                return chunk;
            });
        return (source, feed);
    }

    /// <summary>Chunks that have left the queue so far: the first <c>Pulled</c> chunks handed over, all taken by the stream.</summary>
    public long Pulled => Volatile.Read(ref _pulled);

    /// <summary>Chunks handed over so far, by every thread together.</summary>
    public long Handed => Volatile.Read(ref _handedTotal);

    /// <summary>A number no other chunk of this feed has: chunks are told apart by it in the consumer protocol.</summary>
    public long NextId() => Interlocked.Increment(ref _ids);

    /// <summary>Hands <paramref name="chunk"/> over, after every chunk handed over before it.</summary>
    public void Add(TChunk chunk)
    {
        lock (_lock)
        {
            Enqueue(chunk);
            if (!TryStartOffer(out chunk))
                return;
        }

        // Outside the lock: until this chunk is taken nothing else can leave the queue, so no pull offers meanwhile.
        Offer(chunk);
    }

    /// <summary>Hands <paramref name="chunks"/> over, in order, after every chunk handed over before them.</summary>
    public void Add(List<TChunk> chunks)
    {
        TChunk? first;
        lock (_lock)
        {
            foreach (var chunk in chunks)
                Enqueue(chunk);
            if (!TryStartOffer(out first))
                return;
        }

        Offer(first);
    }

    /// <summary>Completes the queue as soon as every chunk handed over has been taken by the stream; nothing may be
    /// handed over after this.</summary>
    public void CompleteWhenDrained()
    {
        lock (_lock)
        {
            _completing = true;
            if (!TryComplete())
                return;
        }

        _queue!.Complete();
    }

    private void Enqueue(TChunk chunk)
    {
        if (_completing)
            throw new InvalidOperationException("A chunk was handed over after the queue was told to complete.");
        _handed.Enqueue(chunk);
        _handedTotal++;
    }

    // Under the lock: the next chunk is offered by the caller when nothing else is in the queue's way.
    private bool TryStartOffer(out TChunk chunk)
    {
        if (_offered != _pulled || !_handed.TryDequeue(out chunk!))
        {
            chunk = default!;
            return false;
        }

        _offered++;
        return true;
    }

    // Under the lock: true once, when the queue may be completed (every chunk handed over has been taken).
    private bool TryComplete()
    {
        if (!_completing || _completed || _handed.Count > 0 || _offered != _pulled)
            return false;
        _completed = true;
        return true;
    }

    /// <summary>Asks for <paramref name="waiter"/> to be told <see cref="QueueChanged"/> once <paramref name="pulled"/>
    /// chunks have left the queue; false (and no message) if they already have.</summary>
    public bool WakeAt(long pulled, IActorRef waiter)
    {
        lock (_lock)
        {
            if (_pulled >= pulled)
                return false;
            _wakeAt = pulled;
            _waiter = waiter;
            return true;
        }
    }

    private void OnPulled()
    {
        // Decided under the lock, done outside it: only this thread offers until what it offers has been taken.
        var offers = 0;
        IActorRef? waiter = null;
        bool complete;
        lock (_lock)
        {
            Volatile.Write(ref _pulled, _pulled + 1);
            while (_handed.Count > 0 && _offered - _pulled < Window)
            {
                _offering[offers++] = _handed.Dequeue();
                _offered++;
            }

            if (_pulled >= _wakeAt)
            {
                _wakeAt = long.MaxValue;
                waiter = _waiter;
            }

            complete = TryComplete();
        }

        for (var i = 0; i < offers; i++)
        {
            Offer(_offering[i]);
            _offering[i] = default!;
        }

        waiter?.Tell(QueueChanged.Instance);
        if (complete)
            _queue!.Complete();
    }

    // The offer's task is not watched: the chunk leaving the queue says it was taken, and a queue that ended says
    // the rest never will be (the gateway watches the queue's completion).
    private void Offer(TChunk chunk) => _ = _queue!.OfferAsync(chunk);
}
