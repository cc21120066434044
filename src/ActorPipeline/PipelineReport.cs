namespace ActorPipeline;

/// <summary>The final accounting of a pipeline run: every item produced succeeded, failed, or was dropped under the overflow mode.</summary>
public sealed record PipelineReport
{
    /// <summary>The pipeline's name.</summary>
    public required string Name { get; init; }

    /// <summary>How the run ended.</summary>
    public required PipelineOutcome Outcome { get; init; }

    /// <summary>Items accepted from all producers.</summary>
    public required long Produced { get; init; }

    /// <summary>Items whose handler completed successfully.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Items that did not succeed, after their retries; <c>Produced == Succeeded + Failed + Dropped</c> for a completed run.</summary>
    public required long Failed { get; init; }

    /// <summary>Items dropped under the overflow mode (each handed to <c>OnDroppedItem</c>); 0 with <c>overflow = backpressure</c>.</summary>
    public long Dropped { get; init; }

    /// <summary>Retries made, over all items.</summary>
    public required long Retried { get; init; }

    /// <summary>Failed items given up unfinished when a stop deadline passed (part of <see cref="Failed"/>, each listed in
    /// <see cref="Failures"/> with an <see cref="ItemAbandonedException"/>, as far as <c>max-reported-failures</c> allows).</summary>
    public long Abandoned { get; init; }

    /// <summary>Whether the run resumed a durable pipeline's earlier, unfinished run: the counts then include what finished in
    /// the earlier runs, each item once.</summary>
    public bool Resumed { get; init; }

    /// <summary>Items an earlier run of a durable pipeline had taken and not finished, taken up again by this one.</summary>
    public long Recovered { get; init; }

    /// <summary>Whether the run completed with every producer at its end and no item abandoned: nothing is left to do, and
    /// a durable pipeline clears its state.</summary>
    public bool EveryItemFinished => Outcome == PipelineOutcome.Completed && Abandoned == 0 && Producers.All(p => p.Failure is null);

    /// <summary>Every producer, in the order it joined, with its count (this run's) and failure.</summary>
    public required IReadOnlyList<ProducerSummary> Producers { get; init; }

    /// <summary>Items whose outcome each consumer routee decided (succeeded or failed in its handler), by routee name.</summary>
    public required IReadOnlyDictionary<string, long> ProcessedByConsumer { get; init; }

    /// <summary>Failed items with their exception, at most <c>max-reported-failures</c> of them; each is an
    /// <see cref="ItemFailure{T}"/> of the pipeline's item type (see <see cref="FailuresOf{T}"/>).</summary>
    public required IReadOnlyList<ItemFailure> Failures { get; init; }

    /// <summary>Time from start to completion.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Finished items (succeeded and failed) per second of <see cref="Elapsed"/>.</summary>
    public double ItemsPerSecond => Elapsed > TimeSpan.Zero ? (Succeeded + Failed) / Elapsed.TotalSeconds : 0;

    /// <summary><see cref="Failures"/> with their items typed as the pipeline's items.</summary>
    public IEnumerable<ItemFailure<T>> FailuresOf<T>() => Failures.OfType<ItemFailure<T>>();
}

/// <summary>How a pipeline run ended.</summary>
public enum PipelineOutcome
{
    /// <summary>All producers stopped and every item was processed.</summary>
    Completed,

    /// <summary>A drain was requested: producers were stopped and what they had sent was processed.</summary>
    Drained,

    /// <summary>An abort was requested: producers were stopped and items not yet handed to a consumer were failed.</summary>
    Aborted,

    /// <summary>The pipeline broke; <see cref="PipelineFaultedException.Report"/> holds the counts so far.</summary>
    Faulted,
}

/// <summary>One producer of a run: its name, the items accepted from it, and its failure if it failed.</summary>
public sealed record ProducerSummary(string Name, long Produced, Exception? Failure);

/// <summary>One failed item: the item, the last exception, how often it was tried, and the consumer that failed it (if any).</summary>
/// <remarks>Every failure a pipeline reports is an <see cref="ItemFailure{T}"/>, whose <c>Item</c> is typed.</remarks>
public abstract record ItemFailure(object? Item, Exception Cause, int Attempts, string? Consumer);

/// <summary>One failed item of a pipeline of <typeparamref name="T"/>: the item, the last exception, how often it was tried, and the consumer that failed it (if any).</summary>
public sealed record ItemFailure<T>(T Item, Exception Cause, int Attempts, string? Consumer) : ItemFailure(Item, Cause, Attempts, Consumer)
{
    /// <summary>The item that failed.</summary>
    public new T Item { get; init; } = Item;
}
