namespace ActorPipeline;

/// <summary>A snapshot of a running pipeline's counts.</summary>
public sealed record PipelineStatus
{
    internal PipelineStatus(
        string name, PipelineState state, long produced, long succeeded, long failed, long retried, long inFlight, int producersAlive)
    {
        Name = name;
        State = state;
        Produced = produced;
        Succeeded = succeeded;
        Failed = failed;
        Retried = retried;
        InFlight = inFlight;
        ProducersAlive = producersAlive;
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; init; }

    /// <summary>Where the pipeline is in its lifecycle.</summary>
    public PipelineState State { get; init; }

    /// <summary>Items accepted from producers so far.</summary>
    public long Produced { get; init; }

    /// <summary>Items handled successfully so far.</summary>
    public long Succeeded { get; init; }

    /// <summary>Items failed so far.</summary>
    public long Failed { get; init; }

    /// <summary>Retries made so far.</summary>
    public long Retried { get; init; }

    /// <summary>Items dropped so far under the overflow mode.</summary>
    public long Dropped { get; init; }

    /// <summary>Items accepted and not yet finished nor dropped: never above <see cref="PipelineHandle.Capacity"/>, but under
    /// drop-oldest and drop-newest it counts too the items on their way to take a waiting item's place (at most as many again).</summary>
    public long InFlight { get; init; }

    /// <summary>Producers that have not stopped yet.</summary>
    public int ProducersAlive { get; init; }

    /// <summary>Items that failed and wait, under the retry backoff, to be tried again (they are in <see cref="InFlight"/>).</summary>
    public long WaitingToRetry { get; init; }

    /// <summary>Whether <c>max-rate</c>, not the consumers, is what holds work back now: items wait and a consumer asked for
    /// work, but the rate allows none yet.</summary>
    public bool RateLimited { get; init; }

    /// <summary>With results in order: items already decided (counted as succeeded or failed) whose callbacks wait for an
    /// earlier item; each holds its place in the capacity until its turn.</summary>
    public long WaitingForTurn { get; init; }

    /// <summary>Producers held back now, waiting for credit while the capacity is used up (never in a mode that drops items).</summary>
    public int ProducersWaiting { get; init; }

    /// <summary>Items whose outcome each consumer routee has decided so far, by routee name.</summary>
    public IReadOnlyDictionary<string, long> ProcessedByConsumer { get; init; } = new Dictionary<string, long>();

    /// <summary>Every producer registered so far, in the order they registered, by name, with the items it has sent so
    /// far (and, for a source that threw, its failure).</summary>
    public IReadOnlyList<ProducerSummary> Producers { get; init; } = [];

    /// <summary>Whether the run resumed a durable pipeline's earlier, unfinished run (its counts are included).</summary>
    public bool Resumed { get; init; }

    /// <summary>Items an earlier run had taken and not finished, taken up again so far.</summary>
    public long Recovered { get; init; }

    /// <summary>Time since the pipeline started.</summary>
    public TimeSpan Elapsed { get; init; }

    // What a failed expectation prints: the counts, and the producers and consumers with theirs, not collection type names.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Name = {Name}, State = {State}, Produced = {Produced}, Succeeded = {Succeeded}, Failed = {Failed}, Dropped = {Dropped}, Retried = {Retried}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"InFlight = {InFlight}, ProducersAlive = {ProducersAlive}, ProducersWaiting = {ProducersWaiting}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"WaitingToRetry = {WaitingToRetry}, WaitingForTurn = {WaitingForTurn}, RateLimited = {RateLimited}, ");
        if (Resumed)
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Resumed = True, Recovered = {Recovered}, ");
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
