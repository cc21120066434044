namespace ActorPipeline.Internal;

/// <summary>Where a chunk's items come from, in a durable pipeline: source producer <paramref name="Producer"/> (its
/// index among the pipeline's sources), its items from <paramref name="Seq"/> on in the order it sent them.</summary>
internal sealed record ChunkOrigin(int Producer, long Seq);

/// <summary>Items of one source that are finished for good: <paramref name="Count"/> of them from <paramref name="Seq"/>
/// on, all succeeded, or (with <paramref name="Failed"/>) one that failed.</summary>
internal readonly record struct FinishedRun(int Producer, long Seq, int Count, bool Failed);

/// <summary>Makes a pipeline durable: what the durability package gives the builder.</summary>
internal interface IDurability
{
    /// <summary>Why this pipeline cannot be durable as described (a producer or a mode durability does not cover), or null;
    /// <paramref name="sources"/> are the names of its sources in order.</summary>
    /// <remarks>A pipeline it does not refuse is reserved for the start that follows, or <see cref="StartFailed"/>.</remarks>
    string? Refuses(PipelineSettings settings, IReadOnlyList<string> sources, int actorProducers);

    /// <summary>The pipeline did not start after all (its actor could not be created).</summary>
    void StartFailed();

    /// <summary>Opens the pipeline's state when it starts, from its supervisor: its journal recovers while the pipeline starts.</summary>
    IDurableRun Begin(Akka.Actor.IActorContext context, string pipeline, PipelineCounters counters);
}

/// <summary>One run of a durable pipeline, as its supervisor sees it.</summary>
internal interface IDurableRun
{
    /// <summary>Completes once the state of earlier runs is read; faults, naming the store, when it cannot be.</summary>
    Task Ready { get; }

    /// <summary>Items finished: their outcome is decided and every callback for them has run. Called on the supervisor.</summary>
    void Finished(IReadOnlyList<FinishedRun> runs);

    /// <summary>The run ended; with <paramref name="clean"/> every item finished and the state is cleared, else what is
    /// known is written for the next run to resume from. The pipeline's Completion waits for it.</summary>
    Task EndAsync(bool clean);
}
