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
/// on the safe side) and wakes the gateway when it was waiting for room. Several offers in flight at once is what
/// makes a small buffer fast: each offer is a round trip through the stream actor and the thread pool.
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

    /// <summary>Whether one more offer fits, after <paramref name="offered"/> chunks were offered in all.</summary>
    public bool HasRoom(long offered) => offered - Volatile.Read(ref _pulled) < Size;

    /// <summary>Asks for <paramref name="waiter"/> to be told <see cref="QueueRoom"/> when a chunk leaves the queue;
    /// returns true if one left meanwhile and there is room already (the message may then still come).</summary>
    public bool WaitForRoom(IActorRef waiter, long offered)
    {
        _waiter = waiter;
        Interlocked.Exchange(ref _waiting, 1);
        return HasRoom(offered);
    }

    private void OnPulled()
    {
        Interlocked.Increment(ref _pulled);
        if (Volatile.Read(ref _waiting) == 1 && Interlocked.Exchange(ref _waiting, 0) == 1)
            _waiter.Tell(QueueRoom.Instance);
    }
}
