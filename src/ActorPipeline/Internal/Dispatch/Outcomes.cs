namespace ActorPipeline.Internal;

/// <summary>What became of one chunk: counted where it finished, and sent on to the supervisor when items failed or
/// results are to be delivered; <c>Abandoned</c> are the failures given up at the stop deadline. <c>Results</c> are
/// those of the items that succeeded, in the order their consumers answered; <c>HeldCredit</c> counts the items whose
/// credit the supervisor gives back once it has delivered them; <c>Finished</c>, in a durable pipeline, names the source
/// items finished, for the journal.</summary>
internal sealed record ChunkOutcome(
    int Items,
    int Succeeded,
    int Retried,
    IReadOnlyList<KeyValuePair<string, int>> ProcessedByConsumer,
    IReadOnlyList<ItemFailure> Failures,
    int Abandoned = 0,
    IReadOnlyList<ResultRun>? Results = null,
    int HeldCredit = 0,
    IReadOnlyList<FinishedRun>? Finished = null);

/// <summary><paramref name="Count"/> entries of <paramref name="Results"/>, an array of the handler's result type, from <paramref name="Start"/> on.</summary>
internal readonly record struct ResultRun(Array Results, int Start, int Count);

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
