using System.Collections.Concurrent;

namespace ActorPipeline.Cluster.Wire;

/// <summary>What the serializer does with one item or result type, made once per type so that the values are written
/// through typed code without reflection per message.</summary>
internal abstract class WireCodec
{
    private static readonly ConcurrentDictionary<Type, WireCodec> ByValueType = new();
    private static readonly ConcurrentDictionary<Type, WireCodec?> ByMessageType = new();

    public abstract Type ValueType { get; }

    /// <summary>The codec of the values of type <paramref name="valueType"/>.</summary>
    public static WireCodec For(Type valueType) =>
        ByValueType.GetOrAdd(valueType, static t => (WireCodec)Activator.CreateInstance(typeof(WireCodec<>).MakeGenericType(t))!);

    /// <summary>The codec of a <see cref="ConsumeChunk{T}"/> of this runtime type, or null for any other type.</summary>
    public static WireCodec? ForChunk(Type messageType) =>
        ByMessageType.GetOrAdd(messageType, static t =>
            t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ConsumeChunk<>) ? For(t.GetGenericArguments()[0]) : null);

    public abstract int CountOf(object chunk);

    public abstract void WriteChunk(BinaryWriter writer, WireValues values, object chunk);

    public abstract object ReadChunk(BinaryReader reader, WireValues values);

    /// <summary>Writes the first <paramref name="count"/> results of <paramref name="results"/>, an array of <see cref="ValueType"/>.</summary>
    public abstract void WriteResults(BinaryWriter writer, WireValues values, Array results, int count);

    public abstract Array ReadResults(BinaryReader reader, WireValues values);
}

internal sealed class WireCodec<T> : WireCodec
{
    public override Type ValueType => typeof(T);

    public override int CountOf(object chunk) => ((ConsumeChunk<T>)chunk).Items.Count;

    public override void WriteChunk(BinaryWriter writer, WireValues values, object chunk)
    {
        var consume = (ConsumeChunk<T>)chunk;
        writer.Write(consume.ChunkId);
        writer.Write(consume.Attempt);
        values.Write<T>(writer, consume.Items as T[] ?? [.. consume.Items]);
        WireTraces.Write(writer, consume.Traces);
    }

    public override object ReadChunk(BinaryReader reader, WireValues values)
    {
        var chunkId = reader.ReadInt64();
        var attempt = reader.ReadInt32();
        var items = values.Read<T>(reader);
        return new ConsumeChunk<T>(chunkId, items, attempt) { Traces = WireTraces.Read(reader) };
    }

    public override void WriteResults(BinaryWriter writer, WireValues values, Array results, int count) =>
        values.Write<T>(writer, ((T[])results).AsSpan(0, count));

    public override Array ReadResults(BinaryReader reader, WireValues values) => values.Read<T>(reader);
}
