using Akka.Actor;
using Akka.Serialization;

namespace ActorPipeline.Host;

/// <summary>One item of the demo: who produced it, its number, and what its handler is to do with it.</summary>
/// <remarks>The item carries the job's choices (fail, wait) so that its handler can be a type, which a cluster pool
/// deploys on other nodes, instead of a delegate that would close over the job.</remarks>
/// <param name="Producer">The producer that sent it.</param>
/// <param name="Index">Its number among that producer's items.</param>
/// <param name="Fail">Whether its handler throws.</param>
/// <param name="DelayMs">Milliseconds its handler waits.</param>
/// <param name="FailUntil">With <paramref name="Fail"/>: the UTC ticks until which its handler throws, as a service that
/// is restarting does; 0 throws every time.</param>
internal sealed record DemoItem(int Producer, int Index, bool Fail = false, int DelayMs = 0, long FailUntil = 0);

/// <summary>The demo's handler: fails the items chosen to fail, waits <see cref="DemoItem.DelayMs"/> for the others.</summary>
internal sealed class DemoHandler : IItemHandler<DemoItem>
{
    public ValueTask HandleAsync(DemoItem item, CancellationToken cancellationToken)
    {
        if (item.Fail && (item.FailUntil == 0 || DateTime.UtcNow.Ticks < item.FailUntil))
            throw new InvalidOperationException($"item {item.Producer}:{item.Index} failed on purpose (--fail-rate{(item.FailUntil == 0 ? "" : ", --fail-for")})");
        return item.DelayMs > 0 ? new ValueTask(Task.Delay(item.DelayMs, cancellationToken)) : ValueTask.CompletedTask;
    }
}

/// <summary>Writes a <see cref="DemoItem"/> in 21 bytes, where Akka's default JSON takes about 90 and much longer.</summary>
/// <remarks>Bound in pipeline.hocon: this is how an application gives its own item type a fast wire format.</remarks>
internal sealed class DemoItemSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 2719;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        var item = (DemoItem)obj;
        var bytes = new byte[Size];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), item.Producer);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), item.Index);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), item.DelayMs);
        BitConverter.TryWriteBytes(bytes.AsSpan(12), item.FailUntil);
        bytes[20] = item.Fail ? (byte)1 : (byte)0;
        return bytes;
    }

    public override object FromBinary(byte[] bytes, Type? type) =>
        bytes.Length == Size
            ? new DemoItem(BitConverter.ToInt32(bytes, 0), BitConverter.ToInt32(bytes, 4), bytes[20] != 0, BitConverter.ToInt32(bytes, 8), BitConverter.ToInt64(bytes, 12))
            : throw new System.Runtime.Serialization.SerializationException($"A demo item is {Size} bytes; got {bytes.Length}.");

    private const int Size = 21;
}
