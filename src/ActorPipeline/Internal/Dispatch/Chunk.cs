namespace ActorPipeline.Internal;

/// <summary>Items that travel together from the gateway through the stream to one consumer.</summary>
internal sealed record Chunk<T>(long Id, T[] Items);
