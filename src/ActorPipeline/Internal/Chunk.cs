namespace ActorPipeline.Internal;

/// <summary>Items that travel together from the gateway through the stream to one consumer.</summary>
internal sealed record Chunk<T>(long Id, T[] Items)
{
    /// <summary>One chunk of both, in order, under the first one's id.</summary>
    public static Chunk<T> Merge(Chunk<T> first, Chunk<T> second)
    {
        var items = new T[first.Items.Length + second.Items.Length];
        first.Items.CopyTo(items, 0);
        second.Items.CopyTo(items, first.Items.Length);
        return first with { Items = items };
    }
}

/// <summary>What became of one chunk: the stream sends one per chunk to the supervisor.</summary>
internal sealed record ChunkOutcome(
    int Items,
    int Succeeded,
    int Retried,
    IReadOnlyList<KeyValuePair<string, int>> ProcessedByConsumer,
    IReadOnlyList<ItemFailure> Failures);

/// <summary>Outcomes that arrived while the supervisor was busy with the previous ones, delivered together.</summary>
/// <remarks>Built by the stream's batch stage and handed over whole; nothing touches it after it is sent.</remarks>
internal sealed class OutcomeBatch
{
    private readonly List<ChunkOutcome> _outcomes;

    public OutcomeBatch(ChunkOutcome first) => _outcomes = [first];

    public IReadOnlyList<ChunkOutcome> Outcomes => _outcomes;

    public OutcomeBatch Add(ChunkOutcome outcome)
    {
        _outcomes.Add(outcome);
        return this;
    }
}
