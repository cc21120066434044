namespace ActorPipeline.Internal;

/// <summary>What became of one chunk's items, gathered while the dispatch stage settles it; with results in order, each
/// decided item also takes its place in <paramref name="order"/>, and in a durable pipeline each finished one is told to
/// <paramref name="durable"/>.</summary>
internal sealed class Settlement<T>(WorkRun<T> run, string consumer, OutcomeOrder? order = null, DurablePlaces? durable = null)
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
        HashSet<int>? decided = null;
        foreach (var fault in reply.Failures)
        {
            // A custom consumer may name an index it did not answer for; only answered items can have failed.
            if (fault.Index < 0 || fault.Index >= answered || ((order is not null || durable is not null) && !(decided ??= []).Add(fault.Index)))
                continue;
            succeeded--;
            var failure = new ItemFailure<T>(run[fault.Index], fault.Cause, fault.Attempts, consumer);
            (_failures ??= []).Add(failure);
            order?.Failed(run.PositionOf(fault.Index), failure);
            durable?.Finished(run.PositionOf(fault.Index), 1, failed: true);
        }

        _succeeded += succeeded;
        if (order is not null || durable is not null)
            PlaceSucceeded(reply, answered, decided);
        if (order is null && reply.Results is { } results && succeeded > 0)
            _results = [new ResultRun(results, 0, Math.Min(succeeded, results.Length))];
    }

    // The items answered that neither failed nor wait for a retry succeeded, the k-th of them with the k-th result: placed
    // as runs of consecutive places, which end at an item that did not succeed, or where places jump (a chunk picked by
    // ordering key).
    private void PlaceSucceeded(ChunkConsumed reply, int answered, HashSet<int>? failed)
    {
        var results = reply.Results;
        var taken = 0;
        var from = -1;
        for (var i = 0; i <= answered; i++)
        {
            var succeeded = i < answered && failed?.Contains(i) != true && reply.Deferred?.Any(f => f.Index == i) != true;
            if (from >= 0 && (!succeeded || run.PositionOf(i) != run.PositionOf(i - 1) + 1))
            {
                var count = i - from;
                durable?.Finished(run.PositionOf(from), count, failed: false);
                if (order is not null)
                {
                    var withResult = results is null ? 0 : Math.Clamp(results.Length - taken, 0, count);
                    if (withResult > 0)
                        order.Results(run.PositionOf(from), withResult, results!, taken);
                    if (count > withResult)
                        order.Passed(run.PositionOf(from + withResult), count - withResult);
                    taken += withResult;
                }

                from = -1;
            }

            if (succeeded && from < 0)
                from = i;
        }
    }

    /// <summary>Every item of <paramref name="failed"/> fails with <paramref name="cause"/>, one try more when <paramref name="tried"/>;
    /// unless it <paramref name="finishes"/> (an abort or the stop deadline ended it), a durable pipeline takes it up again next run.</summary>
    public void Fail(WorkRun<T> failed, bool tried, Exception cause, bool finishes = true)
    {
        for (var i = 0; i < failed.Count; i++)
        {
            var failure = new ItemFailure<T>(failed[i], cause, failed.Attempt + (tried ? 1 : 0), null);
            (_failures ??= []).Add(failure);
            order?.Failed(failed.PositionOf(i), failure);
            if (finishes)
                durable?.Finished(failed.PositionOf(i), 1, failed: true);
        }
    }

    /// <summary>Every item of <paramref name="unfinished"/> fails as abandoned at the stop deadline.</summary>
    public void Abandon(WorkRun<T> unfinished, bool tried)
    {
        if (unfinished.Count == 0)
            return;
        Fail(unfinished, tried, new ItemAbandonedException("The pipeline's stop deadline passed before the item finished."), finishes: false);
        _abandoned += unfinished.Count;
    }

    public ChunkOutcome Build() =>
        new(run.Count, _succeeded, Retried, _processed, (IReadOnlyList<ItemFailure>?)_failures ?? [], _abandoned, _results);
}
