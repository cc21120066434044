namespace ActorPipeline.Internal;

/// <summary>In a durable pipeline, which source items the dispatch stage's places hold, and which of them finished since
/// the last outcome was built.</summary>
/// <remarks>
/// The stage knows items by their place in the order they entered (<see cref="WorkRun{T}.PositionOf"/>); the journal
/// knows them by their source and their number there (<see cref="ChunkOrigin"/>). Each chunk that enters is one entry:
/// places from <c>Place</c> on are its source's items from <c>Seq</c> on. An entry lives until all its items finished,
/// so the table holds at most one entry per chunk with an unfinished item: the capacity bounds it.
/// </remarks>
internal sealed class DurablePlaces
{
    private readonly List<Entry> _entries = [];
    private int _spent;
    private List<FinishedRun>? _finished;

    /// <summary>A chunk of <paramref name="count"/> items from <paramref name="origin"/> took the places from <paramref name="place"/> on.</summary>
    public void Entered(long place, int count, ChunkOrigin origin) =>
        _entries.Add(new Entry(place, count, origin.Producer, origin.Seq) { Left = count });

    /// <summary>The <paramref name="count"/> items from <paramref name="place"/> on finished: succeeded, or one failed.</summary>
    public void Finished(long place, int count, bool failed)
    {
        var at = Find(place);
        while (count > 0 && at >= 0 && at < _entries.Count)
        {
            var entry = _entries[at++];
            var offset = place - entry.Place;
            if (offset < 0 || offset >= entry.Count)
                return; // a place no source item holds (a producer that is not journaled): nothing to record
            var take = (int)Math.Min(count, entry.Count - offset);
            Add(new FinishedRun(entry.Producer, entry.Seq + offset, take, failed));
            entry.Left -= take;
            if (entry.Left == 0)
                _spent++;
            place += take;
            count -= take;
        }

        // Spent entries go once they are the larger part, so that a lookup stays a search over the live ones.
        if (_spent > 64 && _spent * 2 > _entries.Count)
        {
            _entries.RemoveAll(e => e.Left == 0);
            _spent = 0;
        }
    }

    /// <summary>What finished since the last call, in runs; null if nothing did.</summary>
    public IReadOnlyList<FinishedRun>? Take()
    {
        var finished = _finished;
        _finished = null;
        return finished;
    }

    // Consecutive items of one source that succeeded make one run.
    private void Add(FinishedRun run)
    {
        var finished = _finished ??= [];
        if (finished.Count > 0 && finished[^1] is var last && !last.Failed && !run.Failed && last.Producer == run.Producer && last.Seq + last.Count == run.Seq)
            finished[^1] = last with { Count = last.Count + run.Count };
        else
            finished.Add(run);
    }

    // The entry that holds place, or -1: the last one that starts at or before it (entries are in place order).
    private int Find(long place)
    {
        int lo = 0, hi = _entries.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_entries[mid].Place <= place)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private sealed record Entry(long Place, int Count, int Producer, long Seq)
    {
        public int Left { get; set; }
    }
}
