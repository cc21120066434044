using ActorPipeline.Persistence.Internal;

namespace ActorPipeline.Persistence;

/// <summary>Makes a pipeline durable: its sources resume where a stopped or crashed run left them.</summary>
public static class DurablePipelineExtensions
{
    /// <summary>Keeps the pipeline's state in <paramref name="store"/> under <paramref name="id"/>: a run that did not
    /// finish every item (a crash, a drain, an abort) is resumed by the next run started with the same id; a run that did
    /// clears it.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="id">Names the pipeline's state across runs.</param>
    /// <param name="store">Where the state is kept.</param>
    /// <param name="options">How often the state is written and whether a finished one is kept; <see cref="DurableOptions.Default"/> if null.</param>
    /// <exception cref="InvalidOperationException">At <c>Start()</c>: a producer or setting durability does not cover, or a
    /// run of the same id is under way in the ActorSystem.</exception>
    /// <exception cref="DurableStateException">At <c>Start()</c>: the store holds something that is not the pipeline's state.</exception>
    public static PipelineBuilder<T> WithDurability<T>(this PipelineBuilder<T> builder, string id, DurableStore store, DurableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(store);
        var durable = DurablePipeline.Of(builder);
        durable.MakeDurable(id, store, options ?? DurableOptions.Default, builder.ActorSystem);
        return builder.WithDurability(durable);
    }

    /// <summary>Makes the pipeline durable as the ActorSystem's configuration says: <c>actor-pipeline.durable</c>, under
    /// <c>actor-pipeline.pipelines."name".durable</c> (its store, its id — the pipeline's name if none — and its options).</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">The configuration names no store or more than one, or a
    /// value does not read.</exception>
    public static PipelineBuilder<T> WithDurability<T>(this PipelineBuilder<T> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var (id, store, options) = DurableConfig.Read(builder.ActorSystem.Settings.Config, builder.Name);
        return builder.WithDurability(id, store, options);
    }

    /// <summary>Adds a producer named <paramref name="name"/> whose source yields each item with its position; started at
    /// a <see cref="ResumePoint{TPosition}"/>, it yields the items from there on, in increasing positions.</summary>
    /// <remarks>In a durable pipeline a run starts the source where every earlier item finished, and passes over the items
    /// past it that an earlier run finished. Positions are kept as JSON (System.Text.Json).</remarks>
    public static PipelineBuilder<T> WithResumableSource<T, TPosition>(
        this PipelineBuilder<T> builder,
        string name,
        Func<ResumePoint<TPosition>, CancellationToken, IAsyncEnumerable<(T Item, TPosition Position)>> source) =>
        builder.WithResumableSource(name, source, Comparer<TPosition>.Default);

    /// <summary>Adds a resumable source whose positions are ordered by <paramref name="order"/>.</summary>
    public static PipelineBuilder<T> WithResumableSource<T, TPosition>(
        this PipelineBuilder<T> builder,
        string name,
        Func<ResumePoint<TPosition>, CancellationToken, IAsyncEnumerable<(T Item, TPosition Position)>> source,
        IComparer<TPosition> order)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(order);
        var durable = DurablePipeline.Of(builder);
        var resumable = new ResumableSource<T, TPosition>(name, builder.SourceCount, durable, source, order);
        builder.WithSource(name, resumable.Run);
        durable.Add(resumable);
        return builder;
    }
}
