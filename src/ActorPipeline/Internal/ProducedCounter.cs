namespace ActorPipeline.Internal;

/// <summary>Items the gateway has put into the queue: written by the gateway only, read by the supervisor for status.</summary>
/// <remarks>
/// A counter rather than a message per chunk: the supervisor only needs the current total when asked, and a message
/// per chunk would cost a mailbox hop on the hot path for a number nobody is waiting for.
/// </remarks>
internal sealed class ProducedCounter
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Add(int items) => Interlocked.Add(ref _value, items);
}
