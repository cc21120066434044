using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Internal;

/// <summary>How many offers the gateway may have outstanding without the queue ever refusing one.</summary>
/// <remarks>
/// A backpressured <c>Source.Queue</c> refuses an offer only when its buffer is full and another offer is already
/// pending. It handles offers in the order they were made, and only a pull by the stream frees a place. So if every
/// chunk offered but not yet seen leaving the queue fits in the buffer plus the one pending place, no offer can be
/// refused. The stage right after the queue counts the chunks that left it (a little after they did, which only errs
/// on the safe side) and wakes the gateway when it asked to be. The count is also how the gateway learns that its
/// offers went through, without a continuation per offer: the queue completes each offer's task with
/// <c>RunContinuationsAsynchronously</c>, so every continuation would cost a hop through the thread pool.
/// </remarks>
internal sealed class QueueWindow
{
    private long _pulled;
    private int _waiting;
    private IActorRef _waiter = ActorRefs.Nobody;

    private QueueWindow(int bufferChunks) => Size = bufferChunks + 1;

    /// <summary>Chunks that may be offered and not yet have left the queue: its buffer and its one pending offer.</summary>
    public int Size { get; }

    /// <summary>A backpressured queue of <paramref name="bufferChunks"/> chunks, counted as they leave it.</summary>
    public static (Source<TChunk, ISourceQueueWithComplete<TChunk>> Source, QueueWindow Window) Queue<TChunk>(int bufferChunks)
    {
        var window = new QueueWindow(bufferChunks);
        var source = Source.Queue<TChunk>(bufferChunks, OverflowStrategy.Backpressure).Select(chunk =>
        {
            window.OnPulled();
            return chunk;
        });
        return (source, window);
    }

    /// <summary>Chunks that have left the queue so far; the offer of each of them was enqueued.</summary>
    /// <remarks>The queue completes an offer's task before that chunk can leave it, and chunks leave in the order
    /// they were offered: the first <c>Pulled</c> offers are done.</remarks>
    public long Pulled => Volatile.Read(ref _pulled);

    /// <summary>Whether one more offer fits, after <paramref name="offered"/> chunks were offered in all.</summary>
    public bool HasRoom(long offered) => offered - Pulled < Size;

    /// <summary>Asks for <paramref name="waiter"/> to be told <see cref="QueueChanged"/> when the next chunk leaves the
    /// queue; returns <see cref="Pulled"/> as read after asking (a pull it counts may still send the message).</summary>
    public long WakeOnPull(IActorRef waiter)
    {
        _waiter = waiter;
        Interlocked.Exchange(ref _waiting, 1);
        return Pulled;
    }

    private void OnPulled()
    {
        Interlocked.Increment(ref _pulled);
        if (Volatile.Read(ref _waiting) == 1 && Interlocked.Exchange(ref _waiting, 0) == 1)
            _waiter.Tell(QueueChanged.Instance);
    }
}
