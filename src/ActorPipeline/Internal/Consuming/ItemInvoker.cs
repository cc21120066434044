namespace ActorPipeline.Internal;

/// <summary>How a routee calls its handler, and keeps, chunk by chunk, the results of a handler that returns them.</summary>
/// <remarks>
/// A chunk's results are an array in item order holding the results of the items that succeeded, those that failed
/// leaving no entry: the first <c>answered − failed</c> entries are filled, whatever stopped the chunk. The routee
/// calls the handler for one item at a time, so the invoker keeps the current call's result, or its task, in a field
/// until the routee says the call succeeded; a call the routee gave up on is replaced by the next one.
/// </remarks>
internal abstract class ItemInvoker<T>
{
    /// <summary>The handler, for disposal when the routee stops.</summary>
    public abstract object Handler { get; }

    /// <summary>The results of the current chunk so far, or null when the handler returns none.</summary>
    public virtual Array? Results => null;

    /// <summary>Calls the handler for <paramref name="item"/>.</summary>
    public abstract ValueTask InvokeAsync(T item, CancellationToken cancellationToken);

    /// <summary>A chunk of <paramref name="count"/> items begins.</summary>
    public virtual void Begin(int count)
    {
    }

    /// <summary>The item last called succeeded.</summary>
    public virtual void Succeeded()
    {
    }

    /// <summary>The invoker for <paramref name="handler"/>: one that keeps results when it implements
    /// <see cref="IItemHandler{T, TResult}"/>, else one that calls <see cref="IItemHandler{T}"/>.</summary>
    public static ItemInvoker<T> For(object handler)
    {
        if (handler is IBatchHandler<T> batches)
            return new BatchInvoker<T>(batches);
        var withResult = handler.GetType().GetInterfaces().FirstOrDefault(i =>
            i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IItemHandler<,>) && i.GenericTypeArguments[0] == typeof(T));
        if (withResult is not null)
            return (ItemInvoker<T>)Activator.CreateInstance(typeof(ResultInvoker<,>).MakeGenericType(typeof(T), withResult.GenericTypeArguments[1]), handler)!;
        if (handler is IItemHandler<T> plain)
            return new PlainInvoker<T>(plain);
        throw new InvalidOperationException(
            $"{handler.GetType().FullName} implements none of IItemHandler<{typeof(T).Name}>, IItemHandler<{typeof(T).Name}, TResult> and IBatchHandler<{typeof(T).Name}>.");
    }
}

/// <summary>Calls a handler that returns nothing.</summary>
internal sealed class PlainInvoker<T>(IItemHandler<T> handler) : ItemInvoker<T>
{
    public override object Handler => handler;

    /// <summary>The handler itself, which a routee calls directly: one interface call per item, as without an invoker.</summary>
    public IItemHandler<T> Inner => handler;

    public override ValueTask InvokeAsync(T item, CancellationToken cancellationToken) => handler.HandleAsync(item, cancellationToken);
}

/// <summary>Calls a handler that returns a result, and keeps the chunk's results.</summary>
internal sealed class ResultInvoker<T, TResult>(IItemHandler<T, TResult> handler) : ItemInvoker<T>
{
    private TResult[] _results = [];
    private int _count;
    private TResult? _last;
    private Task<TResult>? _pending;

    public override object Handler => handler;

    public override Array Results => _results;

    public override ValueTask InvokeAsync(T item, CancellationToken cancellationToken)
    {
        var handled = handler.HandleAsync(item, cancellationToken);
        if (!handled.IsCompletedSuccessfully)
            return new ValueTask(_pending = handled.AsTask());
        _pending = null;
        _last = handled.GetAwaiter().GetResult();
        return ValueTask.CompletedTask;
    }

    // A new array per chunk: the previous one travels with that chunk's answer.
    public override void Begin(int count)
    {
        _results = new TResult[count];
        _count = 0;
    }

    public override void Succeeded()
    {
        _results[_count++] = _pending is { } done ? done.GetAwaiter().GetResult() : _last!;
        (_last, _pending) = (default, null);
    }
}

/// <summary>Calls a handler that takes items a batch at a time; the routee runs it over a whole chunk.</summary>
internal sealed class BatchInvoker<T>(IBatchHandler<T> handler) : ItemInvoker<T>
{
    public override object Handler => handler;

    /// <summary>The handler itself, which the routee calls with each batch.</summary>
    public IBatchHandler<T> Inner => handler;

    public override ValueTask InvokeAsync(T item, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A batch handler is called with batches, not single items.");
}
