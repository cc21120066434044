using System.Runtime.CompilerServices;
using ActorPipeline.Internal;

namespace ActorPipeline.Persistence.Internal;

/// <summary>A source whose items carry positions, as the durable pipeline knows it.</summary>
internal interface IResumableSource
{
    string Name { get; }

    /// <summary>The source's progress for a run that starts from <paramref name="saved"/> (null: from its beginning).</summary>
    ISourceProgress Progress(PipelineCounters counters, SavedSource? saved);
}

/// <summary>Runs a resumable source for the pipeline: from where the earlier runs left it, passing over what they finished,
/// and telling its progress which items entered.</summary>
internal sealed class ResumableSource<T, TPosition>(
    string name,
    int index,
    DurablePipeline pipeline,
    Func<ResumePoint<TPosition>, CancellationToken, IAsyncEnumerable<(T Item, TPosition Position)>> source,
    IComparer<TPosition> order) : IResumableSource
{
    public string Name => name;

    public ISourceProgress Progress(PipelineCounters counters, SavedSource? saved) => new SourceProgress<TPosition>(name, order, counters, saved);

    /// <summary>The items as the pipeline's producer pulls them.</summary>
    public async IAsyncEnumerable<T> Run([EnumeratorCancellation] CancellationToken cancel)
    {
        if (pipeline.Current is not { } run)
        {
            // Not durable (no WithDurability): the source runs from its beginning, and nothing is kept.
            await foreach (var (item, _) in source(ResumePoint<TPosition>.Beginning, cancel).WithCancellation(cancel))
                yield return item;
            yield break;
        }

        await run.Ready.WaitAsync(cancel);
        var progress = run.ProgressOf<TPosition>(index);
        if (progress.Ended)
            yield break;
        await foreach (var (item, position) in source(progress.Start, cancel).WithCancellation(cancel))
        {
            if (progress.Take(position))
                yield return item;
        }

        progress.SourceEnded();
    }
}
