namespace ActorPipeline.Internal;

/// <summary>Results and failures held back until every item that entered the pipeline before theirs is decided:
/// <c>results-in-order</c>.</summary>
/// <remarks>
/// Items are known by their place in the order they entered (<see cref="WorkRun{T}.PositionOf"/>). What a consumer
/// decides comes in runs of places — the results of one answer, a failure, items that succeeded with nothing to
/// deliver — so the order keeps runs, not items, in a queue by first place: the cost is per answer, as it is without
/// the order, and results stay in the array their consumer answered, released as <see cref="ResultRun"/>s. Every item
/// from the oldest undecided one on holds its credit until it is released, so what waits here is bounded by the capacity.
/// </remarks>
internal sealed class OutcomeOrder
{
    private readonly PriorityQueue<Decided, long> _decided = new();
    private long _next;

    /// <summary>Items decided and not yet released: they wait for an earlier one.</summary>
    public int Held { get; private set; }

    /// <summary>The <paramref name="count"/> items from <paramref name="position"/> on succeeded with the results from
    /// <paramref name="index"/> on in <paramref name="results"/>.</summary>
    public void Results(long position, int count, Array results, int index) => Put(position, new Decided(count, results, index, null));

    /// <summary>The <paramref name="count"/> items from <paramref name="position"/> on succeeded with nothing to deliver.</summary>
    public void Passed(long position, int count) => Put(position, new Decided(count, null, 0, null));

    /// <summary>The item at <paramref name="position"/> failed for good.</summary>
    public void Failed(long position, ItemFailure failure) => Put(position, new Decided(1, null, 0, failure));

    /// <summary>The item at <paramref name="position"/> was dropped while it waited: its place is passed over, and it holds
    /// no credit (that went to the item that took its place).</summary>
    public void Dropped(long position) => Put(position, new Decided(1, null, 0, null, Dropped: true));

    /// <summary>Hands <paramref name="emit"/> the outcomes that are next in order, each only results or only failures, with
    /// their credit held for the supervisor to give back once delivered; returns how many released items had nothing to
    /// deliver (their credit is the caller's to give back).</summary>
    public int Release(Action<ChunkOutcome> emit)
    {
        var passed = 0;
        List<ResultRun>? results = null;
        List<ItemFailure>? failures = null;
        var resultCount = 0;
        while (_decided.TryPeek(out var next, out var position) && position == _next)
        {
            _decided.Dequeue();
            _next += next.Count;
            if (next.Dropped)
                continue;
            Held -= next.Count;
            if (next.Failure is { } failure)
            {
                FlushResults(ref results, ref resultCount, emit);
                (failures ??= []).Add(failure);
            }
            else if (next.Results is { } array)
            {
                FlushFailures(ref failures, emit);
                (results ??= []).Add(new ResultRun(array, next.Index, next.Count));
                resultCount += next.Count;
            }
            else
            {
                passed += next.Count;
            }
        }

        FlushResults(ref results, ref resultCount, emit);
        FlushFailures(ref failures, emit);
        return passed;
    }

    private static void FlushResults(ref List<ResultRun>? results, ref int count, Action<ChunkOutcome> emit)
    {
        if (results is null)
            return;
        emit(new ChunkOutcome(count, count, 0, [], [], Results: results, HeldCredit: count));
        results = null;
        count = 0;
    }

    private static void FlushFailures(ref List<ItemFailure>? failures, Action<ChunkOutcome> emit)
    {
        if (failures is null)
            return;
        emit(new ChunkOutcome(failures.Count, 0, 0, [], failures, HeldCredit: failures.Count));
        failures = null;
    }

    private void Put(long position, Decided decided)
    {
        if (decided.Count <= 0)
            return;
        if (position < _next)
            throw new InvalidOperationException($"The item at place {position} was decided twice.");
        _decided.Enqueue(decided, position);
        if (!decided.Dropped)
            Held += decided.Count;
    }

    // Count places decided alike: results (from Index on in Results), a failure (one place), nothing to deliver, or an
    // item dropped (one place, no credit).
    private readonly record struct Decided(int Count, Array? Results, int Index, ItemFailure? Failure, bool Dropped = false);
}
