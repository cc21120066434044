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
                _rate?.Take(batch);
                Send(routee, Take(batch));
                continue;
            }

            var askers = _ticksPerItem * _waitingItems > ShareAboveTicks ? Math.Min(queue.Count + 1, _maxChunksOut - _inFlight.Count) : 1;
            // A consumer of the application's own decides itself how long it takes (a test probe answers when the test
            // says): it gets what waits, as much as a chunk holds.
            var byTime = !_context.OwnRoutees ? int.MaxValue
                : double.IsPositiveInfinity(_ticksPerItem) ? 1 : (int)Math.Clamp(ChunkAtMostTicks / _ticksPerItem, 1, int.MaxValue);
            var share = Math.Max(1, Math.Min(Math.Min(Math.Min(_settings.ChunkSize, byTime), (_waitingItems + askers - 1) / askers), allowed));
            _rate?.Take(share);
            Send(routee, Take(share));
        }

        if (_rate is not null)
            _context.Counters.RateLimited = limited;
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

    // Runs with the same history join; with results in order, only a run that goes on where the first's joined items end, so
    // that an item's place still follows from its index.
    private bool Joins(WorkRun<T> first, WorkRun<T> next, int joined) =>
        first.Attempt == next.Attempt && first.Redeliveries == next.Redeliveries && first.FreeResends == next.FreeResends && first.Sent == next.Sent
        && (_order is null || next.PositionOf(0) == first.PositionOf(joined));

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
