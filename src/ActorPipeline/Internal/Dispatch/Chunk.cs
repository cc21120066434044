namespace ActorPipeline.Internal;

/// <summary>Items that travel together from the gateway through the stream to one consumer.</summary>
internal sealed record Chunk<T>(long Id, T[] Items)
{
    /// <summary>The publish spans the items came with, when a listener traces the pipeline.</summary>
    public System.Diagnostics.ActivityContext[]? Traces { get; init; }

    /// <summary>The items were sent without credit, in a mode that drops items: the dispatch stage finds them a place or drops them.</summary>
    public bool Unpaid { get; init; }

    /// <summary>In a durable pipeline, the source the items come from and the first one's number there.</summary>
    public ChunkOrigin? Origin { get; init; }
}
