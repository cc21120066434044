using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace ActorPipeline.Host;

/// <summary>One file's line of output, as <c>sha256sum</c> prints it, with the path it sorts by.</summary>
internal sealed record FileSum(string Path, string Line);

/// <summary>Hashes one file: a type, so that a cluster pool can run it on a worker (which must see the same paths).</summary>
internal sealed class HashHandler : IItemHandler<TreeEntry, FileSum>
{
    public ValueTask<FileSum> HandleAsync(TreeEntry item, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new FileSum(item.Path, HashCommand.Line(HashCommand.Hash(item), item.Path)));
}

/// <summary>The hash job's items and results on the wire: paths and lines as UTF-8, an entry's error as the type and
/// message of the few exceptions a walk produces.</summary>
/// <remarks>Bound in pipeline.hocon. Akka's default JSON would carry an arbitrary exception, which it cannot do safely.</remarks>
internal sealed class HashWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => 2720;

    public override string Manifest(object o) => o is TreeEntry ? "E" : "S";

    public override byte[] ToBinary(object obj)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case TreeEntry entry:
                    writer.Write(entry.Path);
                    writer.Write(entry.Error is null ? "" : entry.Error.GetType().FullName!);
                    writer.Write(entry.Error?.Message ?? "");
                    break;
                case FileSum sum:
                    writer.Write(sum.Path);
                    writer.Write(sum.Line);
                    break;
                default:
                    throw new ArgumentException($"{nameof(HashWireSerializer)} cannot write {obj.GetType()}.", nameof(obj));
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
                "E" => new TreeEntry(reader.ReadString(), Error(reader.ReadString(), reader.ReadString())),
                "S" => new FileSum(reader.ReadString(), reader.ReadString()),
                _ => throw new SerializationException($"Unknown manifest '{manifest}'."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new SerializationException($"A hash message of {bytes.Length} bytes ends early.", e);
        }
    }

    private static Exception? Error(string type, string message) => type switch
    {
        "" => null,
        "System.IO.FileNotFoundException" => new FileNotFoundException(message),
        "System.IO.DirectoryNotFoundException" => new DirectoryNotFoundException(message),
        "System.UnauthorizedAccessException" => new UnauthorizedAccessException(message),
        _ => new IOException(message),
    };
}
