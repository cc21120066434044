using System.Diagnostics;

namespace ActorPipeline.Internal;

// How the stage hands out work: to routees that asked, a share of what waits each (a batch for a batch handler), as
// the rate limit allows.
internal sealed partial class DispatchLogic<T>
{
    /// <summary>Hands waiting work to routees that asked, a fair share each: first to those that hold nothing, then to
    /// those that may take their next chunk.</summary>
    private void Pump()
    {
        var limited = false;
        while (_waitingItems > 0 && _inFlight.Count < _maxChunksOut)
        {
            var ahead = _idle.Count == 0;
            var queue = ahead ? _ahead : _idle;
            if (queue.Count == 0)
                break;
            if (BatchFilling())
                break;
            var allowed = RateAllows();
            if (allowed == 0)
            {
                limited = true;
                break;
            }

            var routee = queue.Dequeue();
            if (routee.Gone || routee.Held.Count != (ahead ? 1 : 0) || routee.Held.Count >= routee.Depth)
                continue;
            if (_context.Batches is { } batches)
            {
                // A batch handler gets what waits, up to a batch: a bulk write gains from every item it takes at once.
                var batch = Math.Min(Math.Min(batches.MaxItems, _waitingItems), allowed);
                if (!TrySend(routee, queue, batch))
                    break;
                continue;
            }

            var askers = _ticksPerItem * _waitingItems > ShareAboveTicks ? Math.Min(queue.Count + 1, _maxChunksOut - _inFlight.Count) : 1;
            // A consumer of the application's own decides itself how long it takes (a test probe answers when the test
            // says): it gets what waits, as much as a chunk holds.
            var byTime = !_context.OwnRoutees ? int.MaxValue
                : double.IsPositiveInfinity(_ticksPerItem) ? 1 : (int)Math.Clamp(ChunkAtMostTicks / _ticksPerItem, 1, int.MaxValue);
            var share = Math.Max(1, Math.Min(Math.Min(Math.Min(_settings.ChunkSize, byTime), (_waitingItems + askers - 1) / askers), allowed));
            if (!TrySend(routee, queue, share))
                break;
        }

        if (_rate is not null)
            _context.Counters.RateLimited = limited;
    }

    // Sends up to share waiting items to routee; with ordering keys there may be none whose key is free, and the routee
    // keeps its place among those that asked.
    private bool TrySend(RouteeState<T> routee, Queue<RouteeState<T>> queue, int share)
    {
        var run = _keys is null ? Take(share) : TakeByKey(share);
        if (run.Count == 0)
        {
            queue.Enqueue(routee);
            return false;
        }

        _rate?.Take(run.Count);
        Send(routee, run);
        return true;
    }

    // A batch fills while fewer items than a batch wait, none of them back from a try, and the oldest has waited less
    // than max-wait; the stage looks again when that wait is over (or sooner, as items come).
    private bool BatchFilling()
    {
        if (_context.Batches is not { } batches || _upstreamDone || _waitingItems >= batches.MaxItems || _aborted || _abandoned)
            return false;
        var oldest = _waiting.First!.Value;
        if (oldest.Sent)
            return false;
        var left = oldest.Arrived + (long)(batches.MaxWait.TotalSeconds * Stopwatch.Frequency) - Stopwatch.GetTimestamp();
        if (left <= 0)
            return false;
        if (_batchTimerFor != oldest.Arrived)
        {
            _batchTimerFor = oldest.Arrived;
            ScheduleOnce(BatchTimer, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
        }

        return true;
    }

    // A routee asks for work when it holds less than it may.
    private void Ask(RouteeState<T> routee)
    {
        if (routee.Gone || routee.Held.Count >= routee.Depth)
            return;
        (routee.Held.Count == 0 ? _idle : _ahead).Enqueue(routee);
    }

    // The first waiting run, or as much of it as the share allows; runs with the same history are joined, so a chunk
    // holds items that all have had the same tries.
    private WorkRun<T> Take(int share)
    {
        var first = _waiting.First!.Value;
        if (first.Count > share)
        {
            _waiting.First.Value = first.Slice(share, first.Count - share);
            _waitingItems -= share;
            return first.Slice(0, share);
        }

        _waiting.RemoveFirst();
        _waitingItems -= first.Count;
        if (first.Count == share || _waiting.First is not { } next || !Joins(first, next.Value, first.Count))
            return first;

        var joined = new T[Math.Min(share, first.Count + _waitingItems)];
        first.Items.AsSpan(first.From, first.Count).CopyTo(joined);
        var count = first.Count;
        var traces = first.Traces;
        while (count < joined.Length && _waiting.First is { } node && Joins(first, node.Value, count))
        {
            var run = node.Value;
            var take = Math.Min(run.Count, joined.Length - count);
            run.Items.AsSpan(run.From, take).CopyTo(joined.AsSpan(count));
            traces = PipelineTracing.Join(traces, run.Traces);
            count += take;
            _waitingItems -= take;
            if (take == run.Count)
                _waiting.RemoveFirst();
            else
                node.Value = run.Slice(take, run.Count - take);
        }

        return first with { Items = joined, From = 0, Count = count, Traces = traces, Position = first.PositionOf(0) };
    }

    // Runs with the same history join; where places are tracked (results in order, durability), only a run that goes on where the first's joined items end, so
    // that an item's place still follows from its index.
    private bool Joins(WorkRun<T> first, WorkRun<T> next, int joined) =>
        SameHistory(first, next) && (!_tracksPlaces || next.PositionOf(0) == first.PositionOf(joined));

    // With an ordering key: the waiting items whose keys are free, in the order they wait, up to the share, all of one
    // history; the others stay where they are. An item whose key is out keeps every later item of its key waiting, since
    // the key stays out; the scan stops at a run of another history, as an item there may come before a later one here.
    private WorkRun<T> TakeByKey(int share)
    {
        var keys = _keys!;
        T[]? items = null;
        long[]? positions = null;
        System.Diagnostics.ActivityContext[]? traces = null;
        WorkRun<T> first = default;
        var count = 0;
        List<(WorkRun<T> Item, Exception Cause)>? unkeyed = null;
        for (var node = _waiting.First; node is not null && count < share;)
        {
            var next = node.Next;
            var run = node.Value;
            if (items is not null && !SameHistory(first, run))
                break;
            var kept = 0;
            var gone = 0;
            for (var i = 0; i < run.Count; i++)
            {
                bool claimed = false, broken = false;
                try
                {
                    claimed = count < share && keys.TryClaim(run[i], _onePerKey);
                }
                catch (Exception e)
                {
                    // The key function threw: the item fails with that cause, once the scan is over.
                    (unkeyed ??= []).Add((run.Slice(i, 1), e));
                    broken = true;
                }

                if (!claimed && !broken)
                {
                    kept++;
                    continue;
                }

                // The items left before this one stay, as a run of their own in the same place.
                if (kept > 0)
                    _waiting.AddBefore(node, run.Slice(i - kept, kept));
                kept = 0;
                gone++;
                if (broken)
                    continue;
                if (items is null)
                {
                    first = run;
                    items = new T[Math.Min(share, _waitingItems)];
                    positions = _tracksPlaces ? new long[items.Length] : null;
                }

                items[count] = run[i];
                if (positions is not null)
                    positions[count] = run.PositionOf(i);
                count++;
            }

            if (gone > 0)
            {
                if (kept > 0)
                    _waiting.AddBefore(node, run.Slice(run.Count - kept, kept));
                _waiting.Remove(node);
                _waitingItems -= gone;
                traces = PipelineTracing.Join(traces, run.Traces);
            }

            node = next;
        }

        keys.EndChunk();
        foreach (var (item, cause) in unkeyed ?? [])
        {
            var settled = new Settlement<T>(item, string.Empty, _order, _durable);
            settled.Fail(item, tried: false, new InvalidOperationException($"The item's ordering key could not be had: {cause.Message}", cause));
            Conclude(settled.Build(), null);
        }

        return items is null ? default : first with { Items = items, From = 0, Count = count, Traces = traces, Position = 0, Positions = positions };
    }

    private static bool SameHistory(WorkRun<T> a, WorkRun<T> b) =>
        a.Attempt == b.Attempt && a.Redeliveries == b.Redeliveries && a.FreeResends == b.FreeResends && a.Sent == b.Sent;

    private void Send(RouteeState<T> routee, WorkRun<T> run)
    {
        var id = ++_chunkIds;
        var progress = routee.ReportsProgress ? new ChunkProgress() : null;
        var now = Stopwatch.GetTimestamp();
        var assignment = new Assignment<T>(id, routee, run, progress, now);
        _inFlight.Add(id, assignment);
        routee.Held.Add(assignment);
        if (routee.Held.Count == 1)
            assignment.BecomeFirst(now);
        Ask(routee);
        _context.Counters.Dispatch(run.Sent ? 0 : run.Count, progress);
        routee.Actor.Tell(new ConsumeChunk<T>(id, run.AsList(), run.Attempt) { Progress = progress, Traces = run.Traces }, _self.Ref);
    }
}
