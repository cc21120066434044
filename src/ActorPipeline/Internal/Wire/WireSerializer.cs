using System.Collections.Concurrent;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace ActorPipeline.Internal;

/// <summary>The binary form of the messages a pipeline exchanges with routees on other nodes.</summary>
/// <remarks>
/// Bound to <see cref="IConsumerMessage"/> and <see cref="IWireMessage"/> by the cluster package's config. Items and
/// results of the common primitive types are written inline; any other type goes through the serializer Akka binds for
/// it, so an application chooses how its items travel. Exceptions cross as <see cref="RemoteFailureException"/>: their
/// type name, message and stack trace, since an arbitrary exception type cannot be rebuilt safely on another node. A
/// payload that does not parse is logged and rejected with a <see cref="SerializationException"/>; it never reaches a
/// pipeline.
/// </remarks>
internal sealed class WireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const string ChunkManifest = "C";
    private const string ConsumedManifest = "R";
    private const string TakenManifest = "T";
    private const string StartFailedManifest = "F";
    private const string RouteeSettingsManifest = "S";
    private const string CheckHandlerManifest = "H";

    // Before each value of another type than long, int, double or string.
    private const byte NullValue = 0;
    private const byte NewType = 1;
    private const byte SameType = 2;

    private static readonly ConcurrentDictionary<string, Type> Types = new();
    private static readonly ConcurrentDictionary<Type, Func<BinaryReader, WireSerializer, object>> ChunkReaders = new();
    private static readonly ConcurrentDictionary<Type, Func<BinaryReader, WireSerializer, int, Array>> ArrayReaders = new();
    private static readonly ConcurrentDictionary<Type, Action<BinaryWriter, WireSerializer, Array, int>> ArrayWriters = new();

    /// <summary>The serializer's id on the wire, distinct from Akka's own (which stay below 100).</summary>
    public override int Identifier => 2718;

    public override string Manifest(object o) => o switch
    {
        IChunkWork work => ChunkManifest + TypeName(work.ItemType),
        ChunkConsumed { Results: { } results } => ConsumedManifest + TypeName(results.GetType().GetElementType()!),
        ChunkConsumed => ConsumedManifest,
        ChunkTaken => TakenManifest,
        ConsumerStartFailed => StartFailedManifest,
        RouteeSettings => RouteeSettingsManifest,
        CheckHandler => CheckHandlerManifest,
        _ => throw new ArgumentException($"{nameof(WireSerializer)} cannot write {o.GetType()}.", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        // A chunk's size is about known: growing the buffer by doubling would copy it several times.
        using var buffer = new MemoryStream(obj is IChunkWork work0 ? 64 + 24 * work0.Count : 256);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case IChunkWork work:
                    work.Write(writer, this);
                    break;
                case ChunkConsumed consumed:
                    WriteConsumed(writer, consumed);
                    break;
                case ChunkTaken taken:
                    writer.Write(taken.Started);
                    break;
                case ConsumerStartFailed failed:
                    WriteException(writer, failed.Cause);
                    break;
                case CheckHandler:
                    break;
                case RouteeSettings settings:
                    writer.Write(TypeName(settings.Handler));
                    writer.Write(Serialization.SerializedActorPath(settings.Pipeline));
                    writer.Write(settings.MaxRetries);
                    writer.Write(settings.Timeout.Ticks);
                    break;
                default:
                    throw new ArgumentException($"{nameof(WireSerializer)} cannot write {obj.GetType()}.", nameof(obj));
            }
        }

        return buffer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var message = Read(reader, manifest);
            if (reader.BaseStream.Position != bytes.Length)
                throw new InvalidDataException($"{bytes.Length - reader.BaseStream.Position} bytes left over.");
            return message;
        }
        catch (Exception e) when (e is not SerializationException)
        {
            var error = new SerializationException(
                $"ActorPipeline rejected a message of {bytes.Length} bytes with manifest '{manifest}': {e.Message}", e);
            system.Log.Error(error, "ActorPipeline: a message from another node could not be read and was dropped.");
            throw error;
        }
    }

    private object Read(BinaryReader reader, string manifest)
    {
        if (manifest.Length == 0)
            throw new InvalidDataException("The manifest is empty.");
        var rest = manifest[1..];
        switch (manifest[0])
        {
            case 'C':
                var itemType = ResolveType(rest);
                return ChunkReaders.GetOrAdd(itemType, CreateChunkReader)(reader, this);
            case 'R':
                return ReadConsumed(reader, rest.Length == 0 ? null : ResolveType(rest));
            case 'T' when rest.Length == 0:
                return reader.ReadBoolean() ? ChunkTaken.Begun : ChunkTaken.Queued;
            case 'F' when rest.Length == 0:
                return new ConsumerStartFailed(ReadException(reader));
            case 'H' when rest.Length == 0:
                return CheckHandler.Instance;
            case 'S' when rest.Length == 0:
                return new RouteeSettings(ResolveType(reader.ReadString()), ReadActorRef(reader), reader.ReadInt32(), TimeSpan.FromTicks(reader.ReadInt64()));
            default:
                throw new InvalidDataException($"Unknown manifest '{manifest}'.");
        }
    }

    private void WriteConsumed(BinaryWriter writer, ChunkConsumed consumed)
    {
        writer.Write(consumed.ChunkId);
        writer.Write(consumed.Consumer);
        writer.Write(consumed.Answered);
        writer.Write(consumed.Retried);
        writer.Write(consumed.InterruptedItemStarted);
        writer.Write(consumed.Failures.Count);
        foreach (var fault in consumed.Failures)
        {
            writer.Write(fault.Index);
            writer.Write(fault.Attempts);
            WriteException(writer, fault.Cause);
        }

        writer.Write(consumed.Interruption is not null);
        if (consumed.Interruption is { } interruption)
            WriteException(writer, interruption);

        // Only the results of the items that succeeded are meaningful; the rest of the array was never written.
        if (consumed.Results is { } results)
            WriteArray(writer, results, Math.Clamp(consumed.Answered - consumed.Failures.Count, 0, results.Length));
    }

    private ChunkConsumed ReadConsumed(BinaryReader reader, Type? resultType)
    {
        var chunkId = reader.ReadInt64();
        var consumer = reader.ReadString();
        var answered = reader.ReadInt32();
        var retried = reader.ReadInt32();
        var started = reader.ReadBoolean();
        var failures = new ItemFault[ReadCount(reader, 8)];
        for (var i = 0; i < failures.Length; i++)
        {
            var index = reader.ReadInt32();
            var attempts = reader.ReadInt32();
            failures[i] = new ItemFault(index, ReadException(reader), attempts);
        }

        var interruption = reader.ReadBoolean() ? ReadException(reader) : null;
        var results = resultType is null ? null : ArrayReaders.GetOrAdd(resultType, CreateArrayReader)(reader, this, ReadCount(reader, 1));
        return new ChunkConsumed(chunkId, consumer, answered, failures, retried, interruption, started) { Results = results };
    }

    /// <summary>Writes the first <paramref name="count"/> values of <paramref name="values"/>.</summary>
    internal void WriteValues<TValue>(BinaryWriter writer, TValue[] values, int count)
    {
        writer.Write(count);
        if (typeof(TValue) == typeof(long))
        {
            foreach (var v in ((long[])(object)values).AsSpan(0, count))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(int))
        {
            foreach (var v in ((int[])(object)values).AsSpan(0, count))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(double))
        {
            foreach (var v in ((double[])(object)values).AsSpan(0, count))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(string))
        {
            foreach (var v in ((string?[])(object)values).AsSpan(0, count))
                WriteString(writer, v);
        }
        else
        {
            WriteObjects(writer, values.AsSpan(0, count));
        }
    }

    // Results arrive as an Array of the handler's result type; each element type gets its typed writer once.
    private void WriteArray(BinaryWriter writer, Array values, int count) =>
        ArrayWriters.GetOrAdd(values.GetType().GetElementType()!, CreateArrayWriter)(writer, this, values, count);

    /// <summary>Reads <paramref name="count"/> values written by <see cref="WriteValues{TValue}"/> into a new <typeparamref name="TValue"/>[].</summary>
    internal TValue[] ReadArray<TValue>(BinaryReader reader, int count)
    {
        if (typeof(TValue) == typeof(long))
            return (TValue[])(object)ReadEach(count, reader.ReadInt64);
        if (typeof(TValue) == typeof(int))
            return (TValue[])(object)ReadEach(count, reader.ReadInt32);
        if (typeof(TValue) == typeof(double))
            return (TValue[])(object)ReadEach(count, reader.ReadDouble);
        if (typeof(TValue) == typeof(string))
            return (TValue[])(object)ReadEach(count, () => ReadString(reader));
        return ReadObjects<TValue>(reader, count);
    }

    private static TValue[] ReadEach<TValue>(int count, Func<TValue> read)
    {
        var values = new TValue[count];
        for (var i = 0; i < values.Length; i++)
            values[i] = read();
        return values;
    }

    private static void WriteString(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
            writer.Write(value);
    }

    private static string? ReadString(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    // Any other value goes through the serializer Akka binds for its runtime type. Items of one chunk nearly always
    // share that type: its serializer and manifest are written once per run of such items, not once per item.
    private void WriteObjects<TValue>(BinaryWriter writer, ReadOnlySpan<TValue> values)
    {
        Type? lastType = null;
        Serializer? serializer = null;
        foreach (var value in values)
        {
            if (value is null)
            {
                writer.Write(NullValue);
                continue;
            }

            if (value.GetType() != lastType)
            {
                lastType = value.GetType();
                serializer = system.Serialization.FindSerializerFor(value);
                writer.Write(NewType);
                writer.Write(serializer.Identifier);
                writer.Write(Akka.Serialization.Serialization.ManifestFor(serializer, value));
            }
            else
            {
                writer.Write(SameType);
            }

            var bytes = serializer!.ToBinary(value);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    private TValue[] ReadObjects<TValue>(BinaryReader reader, int count)
    {
        var values = new TValue[count];
        Func<byte[], object>? read = null;
        for (var i = 0; i < values.Length; i++)
        {
            switch (reader.ReadByte())
            {
                case NullValue:
                    continue;
                case NewType:
                    read = Reader<TValue>(reader.ReadInt32(), reader.ReadString());
                    break;
                case SameType when read is not null:
                    break;
                default:
                    throw new InvalidDataException("A value's type marker is not valid here.");
            }

            values[i] = (TValue)read(reader.ReadBytes(ReadCount(reader, 1)));
        }

        return values;
    }

    // How to read a run of values of one serializer and manifest. When that is the serializer bound for the chunk's item
    // type, it is called directly, sparing a lookup by id per value.
    private Func<byte[], object> Reader<TValue>(int serializerId, string manifest)
    {
        var bound = system.Serialization.FindSerializerForType(typeof(TValue));
        if (bound.Identifier == serializerId)
        {
            if (bound is SerializerWithStringManifest withManifest)
                return bytes => withManifest.FromBinary(bytes, manifest);
            if (!bound.IncludeManifest)
                return bytes => bound.FromBinary(bytes, typeof(TValue));
        }

        return bytes => system.Serialization.Deserialize(bytes, serializerId, manifest);
    }

    private static void WriteException(BinaryWriter writer, Exception error)
    {
        var remote = error as RemoteFailureException;
        writer.Write(remote?.ExceptionType ?? error.GetType().FullName ?? error.GetType().Name);
        writer.Write(error.Message);
        WriteString(writer, remote?.RemoteStackTrace ?? error.StackTrace);
    }

    private static RemoteFailureException ReadException(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), ReadString(reader));

    private IActorRef ReadActorRef(BinaryReader reader) => system.Provider.ResolveActorRef(reader.ReadString());

    // A count read from the network cannot exceed what the rest of the payload could hold.
    private static int ReadCount(BinaryReader reader, int minBytesEach)
    {
        var count = reader.ReadInt32();
        var left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || (long)count * minBytesEach > left)
            throw new InvalidDataException($"A count of {count} does not fit in the {left} bytes left.");
        return count;
    }

    internal static int ReadItemCount(BinaryReader reader) => ReadCount(reader, 1);

    private static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    private static Type ResolveType(string name) =>
        Types.GetOrAdd(name, static n => Type.GetType(n, throwOnError: false) ?? throw new InvalidDataException($"Type '{n}' is not known here."));

    private static Func<BinaryReader, WireSerializer, object> CreateChunkReader(Type itemType) =>
        (Func<BinaryReader, WireSerializer, object>)typeof(ChunkCodec<>).MakeGenericType(itemType)
            .GetMethod(nameof(ChunkCodec<int>.Read))!.CreateDelegate(typeof(Func<BinaryReader, WireSerializer, object>));

    private static Action<BinaryWriter, WireSerializer, Array, int> CreateArrayWriter(Type elementType) =>
        (Action<BinaryWriter, WireSerializer, Array, int>)typeof(ChunkCodec<>).MakeGenericType(elementType)
            .GetMethod(nameof(ChunkCodec<int>.WriteArray))!.CreateDelegate(typeof(Action<BinaryWriter, WireSerializer, Array, int>));

    private static Func<BinaryReader, WireSerializer, int, Array> CreateArrayReader(Type elementType) =>
        (Func<BinaryReader, WireSerializer, int, Array>)typeof(ChunkCodec<>).MakeGenericType(elementType)
            .GetMethod(nameof(ChunkCodec<int>.ReadArray))!.CreateDelegate(typeof(Func<BinaryReader, WireSerializer, int, Array>));

    private static class ChunkCodec<TItem>
    {
        public static object Read(BinaryReader reader, WireSerializer serializer)
        {
            var chunkId = reader.ReadInt64();
            var attempt = reader.ReadInt32();
            return new ConsumeChunk<TItem>(chunkId, serializer.ReadArray<TItem>(reader, ReadItemCount(reader)), attempt);
        }

        public static Array ReadArray(BinaryReader reader, WireSerializer serializer, int count) => serializer.ReadArray<TItem>(reader, count);

        public static void WriteArray(BinaryWriter writer, WireSerializer serializer, Array values, int count) =>
            serializer.WriteValues(writer, (TItem[])values, count);
    }
}

/// <summary>A chunk of work whose item type the serializer writes without reflection.</summary>
internal interface IChunkWork
{
    Type ItemType { get; }

    int Count { get; }

    void Write(BinaryWriter writer, WireSerializer serializer);
}
