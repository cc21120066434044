using System.Runtime.Serialization;
using System.Text;
using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace ActorPipeline.Cluster.Wire;

/// <summary>The binary form of the messages a pipeline exchanges with routees on other nodes.</summary>
/// <remarks>
/// Bound to <see cref="IConsumerMessage"/> and the core's <see cref="IWireMessage"/> by cluster.conf. Every payload
/// begins with <see cref="WireFormat.Version"/>. Items and results are written by <see cref="WireValues"/>. Exceptions
/// cross as <see cref="RemoteFailureException"/>: their type name, message and stack trace, since an arbitrary
/// exception type cannot be rebuilt safely on another node. A payload that does not parse is logged and rejected with a
/// <see cref="SerializationException"/>; it never reaches a pipeline.
/// </remarks>
internal sealed class WireSerializer : SerializerWithStringManifest
{
    private readonly WireValues _values;
    private readonly Lazy<WireTypes> _types;

    public WireSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _values = new WireValues(system);
        // Read when the first message arrives: the serializer is made while the ActorSystem is still starting.
        _types = new Lazy<WireTypes>(() => RunningPipelines.For(system).WireTypes);
    }

    /// <summary>The serializer's id on the wire, distinct from Akka's own (which stay below 100).</summary>
    public override int Identifier => 2718;

    public override string Manifest(object o) => o switch
    {
        ChunkConsumed { Results: { } results } => WireFormat.Consumed + TypeName(results.GetType().GetElementType()!),
        ChunkConsumed => WireFormat.Consumed.ToString(),
        ChunkTaken => WireFormat.Taken.ToString(),
        ConsumerStartFailed => WireFormat.StartFailed.ToString(),
        RouteeSettings => WireFormat.Settings.ToString(),
        CheckHandler => WireFormat.CheckHandler.ToString(),
        ChunkAbandoned => WireFormat.Abandoned.ToString(),
        _ when WireCodec.ForChunk(o.GetType()) is { } chunk => WireFormat.Chunk + TypeName(chunk.ValueType),
        _ => throw CannotWrite(o),
    };

    public override byte[] ToBinary(object obj)
    {
        var chunk = WireCodec.ForChunk(obj.GetType());

        // A chunk's size is about known: growing the buffer by doubling would copy it several times.
        using var buffer = new MemoryStream(chunk is not null ? 64 + 24 * chunk.CountOf(obj) : 256);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(WireFormat.Version);
            switch (obj)
            {
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
                case ChunkAbandoned abandoned:
                    writer.Write(abandoned.ChunkId);
                    break;
                case RouteeSettings settings:
                    writer.Write(TypeName(settings.Handler));
                    writer.Write(Serialization.SerializedActorPath(settings.Pipeline));
                    writer.Write(settings.MaxRetries);
                    writer.Write(settings.Timeout.Ticks);
                    writer.Write(settings.RetryLater);
                    break;
                default:
                    (chunk ?? throw CannotWrite(obj)).WriteChunk(writer, _values, obj);
                    break;
            }
        }

        return buffer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var version = reader.ReadByte();
            if (version != WireFormat.Version)
                throw new InvalidDataException($"It is in format version {version}; this node reads version {WireFormat.Version} (are all nodes on one release?).");
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
        var typeName = manifest[1..];
        return (manifest[0], typeName.Length) switch
        {
            (WireFormat.Chunk, > 0) => WireCodec.For(ResolveType(typeName)).ReadChunk(reader, _values),
            (WireFormat.Consumed, _) => ReadConsumed(reader, typeName.Length == 0 ? null : WireCodec.For(ResolveType(typeName))),
            (WireFormat.Taken, 0) => reader.ReadBoolean() ? ChunkTaken.Begun : ChunkTaken.Queued,
            (WireFormat.StartFailed, 0) => new ConsumerStartFailed(ReadException(reader)),
            (WireFormat.CheckHandler, 0) => CheckHandler.Instance,
            (WireFormat.Abandoned, 0) => new ChunkAbandoned(reader.ReadInt64()),
            (WireFormat.Settings, 0) => new RouteeSettings(
                ResolveHandler(reader.ReadString()), ReadActorRef(reader), reader.ReadInt32(), TimeSpan.FromTicks(reader.ReadInt64()), reader.ReadBoolean()),
            _ => throw new InvalidDataException($"Unknown manifest '{manifest}'."),
        };
    }

    private void WriteConsumed(BinaryWriter writer, ChunkConsumed consumed)
    {
        writer.Write(consumed.ChunkId);
        writer.Write(consumed.Consumer);
        writer.Write(consumed.Answered);
        writer.Write(consumed.Retried);
        writer.Write(consumed.InterruptedItemStarted);
        writer.Write(consumed.Took.Ticks);
        WriteFaults(writer, consumed.Failures);
        WriteFaults(writer, consumed.Deferred ?? []);

        writer.Write(consumed.Interruption is not null);
        if (consumed.Interruption is { } interruption)
            WriteException(writer, interruption);

        // Only the results of the items that succeeded are meaningful; the rest of the array was never written.
        if (consumed.Results is { } results)
        {
            var count = Math.Clamp(consumed.Answered - consumed.Failures.Count - (consumed.Deferred?.Count ?? 0), 0, results.Length);
            WireCodec.For(results.GetType().GetElementType()!).WriteResults(writer, _values, results, count);
        }
    }

    private ChunkConsumed ReadConsumed(BinaryReader reader, WireCodec? results)
    {
        var chunkId = reader.ReadInt64();
        var consumer = reader.ReadString();
        var answered = reader.ReadInt32();
        var retried = reader.ReadInt32();
        var started = reader.ReadBoolean();
        var took = TimeSpan.FromTicks(reader.ReadInt64());
        var failures = ReadFaults(reader);
        var deferred = ReadFaults(reader);

        var interruption = reader.ReadBoolean() ? ReadException(reader) : null;
        return new ChunkConsumed(chunkId, consumer, answered, failures, retried, interruption, started)
        {
            Results = results?.ReadResults(reader, _values),
            Took = took,
            Deferred = deferred.Length == 0 ? null : deferred,
        };
    }

    private static void WriteFaults(BinaryWriter writer, IReadOnlyList<ItemFault> faults)
    {
        writer.Write(faults.Count);
        foreach (var fault in faults)
        {
            writer.Write(fault.Index);
            writer.Write(fault.Attempts);
            WriteException(writer, fault.Cause);
        }
    }

    private static ItemFault[] ReadFaults(BinaryReader reader)
    {
        var faults = new ItemFault[WireValues.ReadCount(reader, 8)];
        for (var i = 0; i < faults.Length; i++)
        {
            var index = reader.ReadInt32();
            var attempts = reader.ReadInt32();
            faults[i] = new ItemFault(index, ReadException(reader), attempts);
        }

        return faults;
    }

    private static void WriteException(BinaryWriter writer, Exception error)
    {
        var remote = error as RemoteFailureException;
        writer.Write(remote?.ExceptionType ?? error.GetType().FullName ?? error.GetType().Name);
        writer.Write(error.Message);
        WireValues.WriteString(writer, remote?.RemoteStackTrace ?? error.StackTrace);
    }

    private static RemoteFailureException ReadException(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), WireValues.ReadString(reader));

    private IActorRef ReadActorRef(BinaryReader reader) => system.Provider.ResolveActorRef(reader.ReadString());

    private static ArgumentException CannotWrite(object o) =>
        new($"{nameof(WireSerializer)} cannot write {o.GetType()}.", nameof(o));

    private static string TypeName(Type type) => WireTypes.NameOf(type);

    // Only a type this node expects: a name is looked up among the declared types, never loaded.
    private Type ResolveType(string name) =>
        _types.Value.TryGet(name, out var type)
            ? type
            : throw new InvalidDataException($"Type '{name}' is not one this node expects (its pipelines' items and results, its handlers').");

    // A handler a pipeline elsewhere deploys here: one declared (PipelineClusterOptions.Handlers), or, unless the node
    // hosts only those, a type that implements a handler interface; any other type is refused before it is created.
    private Type ResolveHandler(string name)
    {
        var types = _types.Value;
        if (types.TryGet(name, out var declared))
            return declared;
        if (types.OnlyDeclaredHandlers)
            throw new InvalidDataException($"Handler type '{name}' is not one this node hosts (PipelineClusterOptions.Handlers); the deployment is refused.");
        var type = Type.GetType(name, throwOnError: false) ?? throw new InvalidDataException($"Type '{name}' is not known here.");
        if (WireTypes.CarriedTypes(type).Count == 0)
            throw new InvalidDataException($"Type '{name}' is no item handler; the deployment is refused.");
        types.DeclareHandlers([type], only: false);
        return type;
    }
}
