namespace ActorPipeline.Internal;

// How the stage places items that a producer sent without credit under drop-oldest or drop-newest.
internal sealed partial class DispatchLogic<T>
{
    /// <summary>The items of a chunk sent without credit, placed as if they had come one by one: each takes credit freed
    /// since it was sent, else the place of the oldest (or newest) item waiting for a consumer, else it is dropped itself.
    /// Returns the items that keep a place, in their order.</summary>
    /// <remarks>Items waiting for a consumer are those no consumer has had: an item back from a try keeps its place.</remarks>
    private T[] Place(T[] items)
    {
        var kept = PlaceItems(items);
        // A waiting item dropped may have been the one the results after it waited for.
        if (_order is not null)
            ReleaseInOrder();
        return kept;
    }

    private T[] PlaceItems(T[] items)
    {
        var overflow = _overflow!;
        var count = items.Length;
        overflow.Arrived(count);
        if (_aborted || _abandoned)
            return Drop(items, 0, count, DropReason.Incoming, kept: []);

        var paid = _context.Credit.TryTake(count);
        if (paid == count)
            return items;

        if (overflow.Mode == OverflowMode.DropOldest)
        {
            // Each item takes the oldest waiting item's place; once none of those is left, the first of these items are
            // the oldest, and make room for the later ones.
            var evicted = EvictOldest(count - paid);
            var room = paid + evicted;
            if (room == 0)
                return Drop(items, 0, count, DropReason.Incoming, kept: []);
            _context.Counters.AddDropped(0, evicted, 0);
            return Drop(items, 0, count - room, DropReason.Oldest, kept: items[(count - room)..]);
        }

        // Each item takes the newest waiting item's place, which is the one before it once that one has a place: so the
        // items with credit keep theirs but the last, and the last item keeps the place the others passed on.
        if (paid > 0)
            return Drop(items, paid - 1, count - paid, DropReason.Newest, kept: [.. items.AsSpan(0, paid - 1), items[^1]]);
        if (!EvictNewest())
            return Drop(items, 0, count, DropReason.Incoming, kept: []);
        _context.Counters.AddDropped(0, 0, 1);
        return Drop(items, 0, count - 1, DropReason.Newest, kept: [items[^1]]);
    }

    // The items from `from` on, `count` of them, are dropped; the others keep a place.
    private T[] Drop(T[] items, int from, int count, DropReason reason, T[] kept)
    {
        for (var i = from; i < from + count; i++)
            _overflow!.Dropped(items[i], reason);
        _context.Counters.AddDropped(reason == DropReason.Incoming ? count : 0, reason == DropReason.Oldest ? count : 0,
            reason == DropReason.Newest ? count : 0);
        return kept;
    }

    // Up to `max` of the oldest items waiting that no consumer has had are dropped; returns how many.
    private int EvictOldest(int max)
    {
        var evicted = 0;
        for (var node = _waiting.First; node is not null && evicted < max;)
        {
            var next = node.Next;
            var run = node.Value;
            if (!run.Sent)
            {
                var take = Math.Min(run.Count, max - evicted);
                DropWaiting(run.Slice(0, take), DropReason.Oldest);
                if (take == run.Count)
                    _waiting.Remove(node);
                else
                    node.Value = run.Slice(take, run.Count - take);
                evicted += take;
            }

            node = next;
        }

        return evicted;
    }

    // The newest item waiting that no consumer has had is dropped, if there is one.
    private bool EvictNewest()
    {
        for (var node = _waiting.Last; node is not null; node = node.Previous)
        {
            var run = node.Value;
            if (run.Sent)
                continue;
            DropWaiting(run.Slice(run.Count - 1, 1), DropReason.Newest);
            if (run.Count == 1)
                _waiting.Remove(node);
            else
                node.Value = run.Slice(0, run.Count - 1);
            return true;
        }

        return false;
    }

    // Waiting items leave without an outcome: their credit goes to the items that take their places, and with results in
    // order their places are passed over.
    private void DropWaiting(WorkRun<T> run, DropReason reason)
    {
        _waitingItems -= run.Count;
        for (var i = 0; i < run.Count; i++)
        {
            _overflow!.Dropped(run[i], reason);
            _order?.Dropped(run.PositionOf(i));
        }
    }
}
