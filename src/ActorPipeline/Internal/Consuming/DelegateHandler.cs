namespace ActorPipeline.Internal;

/// <summary>An item handler made of a delegate.</summary>
internal sealed class DelegateHandler<T>(Func<T, CancellationToken, ValueTask> handle) : IItemHandler<T>
{
    public ValueTask HandleAsync(T item, CancellationToken cancellationToken) => handle(item, cancellationToken);
}

/// <summary>An item handler made of a delegate that returns a result.</summary>
internal sealed class DelegateHandler<T, TResult>(Func<T, CancellationToken, ValueTask<TResult>> handle) : IItemHandler<T, TResult>
{
    public ValueTask<TResult> HandleAsync(T item, CancellationToken cancellationToken) => handle(item, cancellationToken);
}

/// <summary>A batch handler made of a delegate.</summary>
internal sealed class DelegateBatchHandler<T>(Func<Batch<T>, CancellationToken, ValueTask> handle) : IBatchHandler<T>
{
    public ValueTask HandleAsync(Batch<T> batch, CancellationToken cancellationToken) => handle(batch, cancellationToken);
}
