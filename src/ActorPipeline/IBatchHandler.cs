namespace ActorPipeline;

/// <summary>Handles items a batch at a time (a bulk insert, one transaction for many rows); created by each consumer
/// routee, so it may keep per-routee state (a connection).</summary>
/// <remarks>
/// Implementations need a public parameterless constructor, so a cluster pool can create them on other nodes. A handler
/// that is <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/> is disposed when its routee stops. Throwing fails
/// every item of the batch for this try: each is retried (a batch of the items left) or fails, as a single item does.
/// <see cref="Batch{T}.Fail"/> fails single items and lets the others succeed. The token is cancelled when the batch
/// exceeds <c>consumer-timeout</c>.
/// </remarks>
public interface IBatchHandler<T>
{
    /// <summary>Handles every item of <paramref name="batch"/>; completes when they are done.</summary>
    ValueTask HandleAsync(Batch<T> batch, CancellationToken cancellationToken);
}

/// <summary>The items a batch handler is given, in the order they came, and the means to fail single ones.</summary>
public sealed class Batch<T> : IReadOnlyList<T>
{
    private readonly IReadOnlyList<T> _chunk;
    private readonly List<int> _indices;
    private List<(int Index, Exception Cause)>? _failures;

    internal Batch(IReadOnlyList<T> chunk, List<int> indices)
    {
        _chunk = chunk;
        _indices = indices;
    }

    /// <summary>How many items the batch holds.</summary>
    public int Count => _indices.Count;

    /// <summary>The item at <paramref name="index"/> of the batch.</summary>
    public T this[int index] => _chunk[_indices[index]];

    /// <summary>The items that failed by <see cref="Fail"/>, by their index in the batch.</summary>
    internal IReadOnlyList<(int Index, Exception Cause)> Failures => (IReadOnlyList<(int, Exception)>?)_failures ?? [];

    /// <summary>Where the item at <paramref name="index"/> of the batch is in the chunk it came in.</summary>
    internal int ChunkIndex(int index) => _indices[index];

    /// <summary>Fails the item at <paramref name="index"/> of the batch with <paramref name="cause"/>: it is retried or
    /// fails as an item whose handler threw; the items not failed succeed when the handler returns.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an index of the batch.</exception>
    public void Fail(int index, Exception cause)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        ArgumentNullException.ThrowIfNull(cause);
        (_failures ??= []).Add((index, cause));
    }

    /// <summary>The items, in order.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        foreach (var index in _indices)
            yield return _chunk[index];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
