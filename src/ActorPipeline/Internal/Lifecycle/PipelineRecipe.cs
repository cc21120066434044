using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Everything a pipeline supervisor needs to start; local to the process that starts the pipeline.</summary>
internal sealed record PipelineRecipe<T>(
    string Name,
    PipelineSettings Settings,
    IReadOnlyList<KeyValuePair<string, Func<CancellationToken, IAsyncEnumerable<T>>>> Sources,
    IReadOnlyList<KeyValuePair<string, IActorRef>> Producers,
    Func<IActorRef, PipelineSettings, Props> ConsumerProps,
    bool OwnRoutees,
    Action<ItemFailure<T>>? OnFailedItem,
    Action<ProducerSummary>? OnProducerStopped,
    TaskCompletionSource<PipelineReport> Completion,
    PipelineCounters Counters,
    int Capacity,
    ResultDelivery? Results = null,
    bool RemoteRoutees = false,
    BatchLimits? Batches = null,
    Func<object>? OrderingKeys = null,
    Action<T, DropReason>? OnDroppedItem = null,
    IDurability? Durability = null);

/// <summary>Hands results to the application's callback.</summary>
internal abstract class ResultDelivery
{
    /// <summary>The type of the results.</summary>
    public abstract Type ResultType { get; }

    /// <summary>Calls the callback with each of <paramref name="count"/> entries of <paramref name="results"/> from
    /// <paramref name="start"/> on; what the callback throws goes to <paramref name="failed"/>, and the next result is delivered still.</summary>
    public abstract void Deliver(Array results, int start, int count, Action<Exception> failed);
}

/// <summary>Hands results of type <typeparamref name="TResult"/> to <paramref name="callback"/>.</summary>
internal sealed class ResultDelivery<TResult>(Action<TResult> callback) : ResultDelivery
{
    public override Type ResultType => typeof(TResult);

    public override void Deliver(Array results, int start, int count, Action<Exception> failed)
    {
        if (results is not TResult[] typed)
        {
            failed(new InvalidCastException($"A consumer answered results of type {results.GetType().GetElementType()?.Name}; the callback takes {typeof(TResult).Name}."));
            return;
        }

        for (var i = start; i < start + count; i++)
        {
            try
            {
                callback(typed[i]);
            }
            catch (Exception e)
            {
                failed(e);
            }
        }
    }
}
