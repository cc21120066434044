namespace ActorPipeline;

/// <summary>A snapshot of a running pipeline's counts.</summary>
/// <param name="Name">The pipeline's name.</param>
/// <param name="State">Where the pipeline is in its lifecycle.</param>
/// <param name="Produced">Items accepted from producers so far.</param>
/// <param name="Succeeded">Items handled successfully so far.</param>
/// <param name="Failed">Items failed so far.</param>
/// <param name="Retried">Retries made so far.</param>
/// <param name="InFlight">Items accepted and not yet finished (never above <see cref="PipelineHandle.Capacity"/>).</param>
/// <param name="ProducersAlive">Producers that have not stopped yet.</param>
public sealed record PipelineStatus(
    string Name, PipelineState State, long Produced, long Succeeded, long Failed, long Retried, long InFlight, int ProducersAlive)
{
    /// <summary>Items whose outcome each consumer routee has decided so far, by routee name.</summary>
    public IReadOnlyDictionary<string, long> ProcessedByConsumer { get; init; } = new Dictionary<string, long>();

    /// <summary>Every producer registered so far, in the order they registered, by name, with the items it has sent so
    /// far (and, for a source that threw, its failure).</summary>
    public IReadOnlyList<ProducerSummary> Producers { get; init; } = [];

    /// <summary>Time since the pipeline started.</summary>
    public TimeSpan Elapsed { get; init; }

    // What a failed expectation prints: the counts, and the producers and consumers with theirs, not collection type names.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Name = {Name}, State = {State}, Produced = {Produced}, Succeeded = {Succeeded}, Failed = {Failed}, Retried = {Retried}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"InFlight = {InFlight}, ProducersAlive = {ProducersAlive}, ");
        builder.Append("Producers = [").AppendJoin(", ", Producers.Select(p => $"{p.Name}: {p.Produced}")).Append("], ");
        builder.Append("ProcessedByConsumer = [").AppendJoin(", ", ProcessedByConsumer.Select(c => $"{c.Key}: {c.Value}")).Append("], ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Elapsed = {Elapsed}");
        return true;
    }
}

/// <summary>The lifecycle of a pipeline.</summary>
public enum PipelineState
{
    /// <summary>Producers are running; the pipeline waits for them even when idle.</summary>
    Running,

    /// <summary>No more producers: the queue is completed and in-flight items are finishing.</summary>
    Draining,

    /// <summary>An abort was requested: remaining items are being failed.</summary>
    Aborting,

    /// <summary>The run is over and the report is complete.</summary>
    Completed,
}
