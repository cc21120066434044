namespace ActorPipeline.Internal;

/// <summary>Items that travel together from the gateway through the stream to one consumer.</summary>
internal sealed record Chunk<T>(long Id, T[] Items);

/// <summary>What became of one chunk: the stream sends one per chunk to the supervisor.</summary>
internal sealed record ChunkOutcome(
    int Items,
    int Succeeded,
    int Retried,
    IReadOnlyList<KeyValuePair<string, int>> ProcessedByConsumer,
    IReadOnlyList<ItemFailure> Failures);
