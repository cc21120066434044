namespace ActorPipeline.Internal;

/// <summary>What became of one chunk's items, gathered while the dispatch stage settles it.</summary>
internal sealed class Settlement<T>(WorkRun<T> run, string consumer)
{
    private List<ItemFailure>? _failures;
    private List<ResultRun>? _results;
    private KeyValuePair<string, int>[] _processed = [];
    private int _succeeded;
    private int _abandoned;

    public int Retried { get; set; }

    /// <summary>The consumer answered for the first <paramref name="answered"/> items of the run; those it handed back to be
    /// tried again after a wait (<see cref="ChunkConsumed.Deferred"/>) are not decided yet.</summary>
    public void Answered(ChunkConsumed reply, int answered)
    {
        Retried += reply.Retried;
        if (answered == 0)
            return;
        var deferred = reply.Deferred?.Count(f => f.Index >= 0 && f.Index < answered) ?? 0;
        if (answered > deferred)
            _processed = [new(consumer, answered - deferred)];
        var succeeded = answered - deferred;
        foreach (var fault in reply.Failures)
        {
            // A custom consumer may name an index it did not answer for; only answered items can have failed.
            if (fault.Index < 0 || fault.Index >= answered)
                continue;
            succeeded--;
            (_failures ??= []).Add(new ItemFailure<T>(run[fault.Index], fault.Cause, fault.Attempts, consumer));
        }

        _succeeded += succeeded;
        if (reply.Results is { } results && succeeded > 0)
            _results = [new ResultRun(results, Math.Min(succeeded, results.Length))];
    }

    /// <summary>Every item of <paramref name="failed"/> fails with <paramref name="cause"/>, one try more when <paramref name="tried"/>.</summary>
    public void Fail(WorkRun<T> failed, bool tried, Exception cause)
    {
        for (var i = 0; i < failed.Count; i++)
            (_failures ??= []).Add(new ItemFailure<T>(failed[i], cause, failed.Attempt + (tried ? 1 : 0), null));
    }

    /// <summary>Every item of <paramref name="unfinished"/> fails as abandoned at the stop deadline.</summary>
    public void Abandon(WorkRun<T> unfinished, bool tried)
    {
        if (unfinished.Count == 0)
            return;
        Fail(unfinished, tried, new ItemAbandonedException("The pipeline's stop deadline passed before the item finished."));
        _abandoned += unfinished.Count;
    }

    public ChunkOutcome Build() =>
        new(run.Count, _succeeded, Retried, _processed, (IReadOnlyList<ItemFailure>?)_failures ?? [], _abandoned, _results);
}
