using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace ActorPipeline.Host;

/// <summary>Counts one block with its file's pattern: a type, so that a cluster pool can run it on a worker.</summary>
internal sealed class IngestHandler : IItemHandler<LogBlock, BlockCounts>
{
    // A pattern is compiled once per process, whichever routee meets it first.
    private static readonly ConcurrentDictionary<string, LineCounter> Counters = new();
    private static readonly LineCounter Plain = new(null);

    public ValueTask<BlockCounts> HandleAsync(LogBlock item, CancellationToken cancellationToken)
    {
        var counter = item.File.Pattern is { } pattern ? Counters.GetOrAdd(pattern, p => new LineCounter(LineCounter.Compile(p))) : Plain;
        return ValueTask.FromResult(counter.Count(item));
    }
}

/// <summary>The ingest job's blocks and counts on the wire: a block with its file's id, path and pattern; counts with the
/// file's id, which the front node maps back to its file.</summary>
/// <remarks>Bound in pipeline.hocon.</remarks>
internal sealed class IngestWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => 2721;

    public override string Manifest(object o) => o is LogBlock ? "B" : "C";

    public override byte[] ToBinary(object obj)
    {
        using var buffer = new MemoryStream(obj is LogBlock b ? b.Length + 256 : 128);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case LogBlock block:
                    writer.Write(block.File.Id);
                    writer.Write(block.File.Path);
                    writer.Write(block.File.Pattern ?? "");
                    writer.Write(block.File.Pattern is not null);
                    writer.Write(block.Cut);
                    writer.Write(block.Offset);
                    writer.Write(block.Length);
                    writer.Write(block.Buffer, 0, block.Length);
                    break;
                case BlockCounts counts:
                    writer.Write(counts.File.Id);
                    writer.Write(counts.Offset);
                    writer.Write(counts.Lines);
                    writer.Write(counts.Matches);
                    writer.Write(counts.Levels.Length);
                    foreach (var level in counts.Levels)
                        writer.Write(level);
                    break;
                default:
                    throw new ArgumentException($"{nameof(IngestWireSerializer)} cannot write {obj.GetType()}.", nameof(obj));
            }
        }

        return buffer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            return manifest switch
            {
                "B" => ReadBlock(reader),
                "C" => ReadCounts(reader),
                _ => throw new SerializationException($"Unknown manifest '{manifest}'."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new SerializationException($"An ingest message of {bytes.Length} bytes ends early.", e);
        }
    }

    private static LogBlock ReadBlock(BinaryReader reader)
    {
        var (id, path, pattern, hasPattern, cut) = (reader.ReadInt32(), reader.ReadString(), reader.ReadString(), reader.ReadBoolean(), reader.ReadBoolean());
        var offset = reader.ReadInt64();
        var length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new SerializationException($"A block of {length} bytes does not fit in the message.");

        // The handler gives the buffer back to the pool, as it does with the reader's own.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        reader.BaseStream.ReadExactly(buffer, 0, length);
        return new LogBlock(LogFile.Remote(path, id, hasPattern ? pattern : null), buffer, length, cut) { Offset = offset };
    }

    private static BlockCounts ReadCounts(BinaryReader reader)
    {
        var id = reader.ReadInt32();
        var file = LogFile.Find(id) ?? throw new SerializationException($"Counts arrived for file {id}, which no run of this process reads.");
        var offset = reader.ReadInt64();
        var (lines, matches) = (reader.ReadInt64(), reader.ReadInt64());
        var levels = new long[reader.ReadInt32()];
        if (levels.Length != LogLevels.Names.Length)
            throw new SerializationException($"Counts for {levels.Length} levels; this host knows {LogLevels.Names.Length}.");
        for (var i = 0; i < levels.Length; i++)
            levels[i] = reader.ReadInt64();
        return new BlockCounts(file, lines, levels, matches) { Offset = offset };
    }
}
