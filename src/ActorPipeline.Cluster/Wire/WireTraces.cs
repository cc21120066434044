using System.Diagnostics;

namespace ActorPipeline.Cluster.Wire;

/// <summary>The trace contexts a chunk's items came with, so a routee on another node continues the item's trace: per
/// context its trace id (16 bytes), span id (8) and flags (1), as W3C trace context carries them.</summary>
internal static class WireTraces
{
    // A chunk joins the publish spans of at most a chunk's items; more than this is no trace context but a bad payload.
    private const int MaxContexts = 1 << 16;

    public static void Write(BinaryWriter writer, IReadOnlyList<ActivityContext>? traces)
    {
        writer.Write(traces?.Count ?? 0);
        if (traces is null)
            return;
        Span<byte> id = stackalloc byte[16];
        foreach (var trace in traces)
        {
            trace.TraceId.CopyTo(id);
            writer.Write(id);
            trace.SpanId.CopyTo(id[..8]);
            writer.Write(id[..8]);
            writer.Write((byte)trace.TraceFlags);
        }
    }

    public static ActivityContext[]? Read(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count == 0)
            return null;
        if (count is < 0 or > MaxContexts || count * 25L > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"{count} trace contexts do not fit the payload.");
        var traces = new ActivityContext[count];
        for (var i = 0; i < count; i++)
        {
            var traceId = ActivityTraceId.CreateFromBytes(reader.ReadBytes(16));
            var spanId = ActivitySpanId.CreateFromBytes(reader.ReadBytes(8));
            traces[i] = new ActivityContext(traceId, spanId, (ActivityTraceFlags)reader.ReadByte(), isRemote: true);
        }

        return traces;
    }
}
