namespace ActorPipeline;

/// <summary>Handles one item; created by each consumer routee, so it may keep per-routee state.</summary>
/// <remarks>
/// Implementations need a public parameterless constructor. A handler that is <see cref="IDisposable"/> or
/// <see cref="IAsyncDisposable"/> is disposed when its routee stops. Throwing fails the item (or retries it);
/// it never fails the pipeline. The token is cancelled when the item exceeds <c>consumer-timeout</c>.
/// </remarks>
public interface IItemHandler<in T>
{
    /// <summary>Handles <paramref name="item"/>; completes when the item is done.</summary>
    ValueTask HandleAsync(T item, CancellationToken cancellationToken);
}

/// <summary>Handles one item and returns its result, which the pipeline delivers to its result callback.</summary>
/// <remarks>
/// As <see cref="IItemHandler{T}"/>: created by each consumer routee, with a public parameterless constructor;
/// throwing fails the item (or retries it), and a failed item has no result.
/// </remarks>
public interface IItemHandler<in T, TResult>
{
    /// <summary>Handles <paramref name="item"/>; completes with its result when the item is done.</summary>
    ValueTask<TResult> HandleAsync(T item, CancellationToken cancellationToken);
}
