using Akka.Actor;

namespace ActorPipeline.Internal;

// How waiting items become chunks and reach the queue's feed, and what happens to them when the queue has ended.
internal sealed partial class QueueGateway<T>
{
    private void OfferNext()
    {
        while (true)
        {
            var waitsForTransit = !HandOver();
            FailIfQueueEnded();

            if (_closed is not null || _waitingItems == 0)
            {
                if (_completeWhenIdle && _closed is null)
                    Complete();
                return;
            }

            // Items without credit wait for the stage to have room for them: TransitFreed comes then.
            if (waitsForTransit)
                return;

            // Items wait: with a backlog here, come back when half the full chunks handed ahead are taken; otherwise at
            // the next take. Unless that take came meanwhile.
            var feed = _link.Feed;
            var wakeAt = _waitingItems >= _link.ChunkSize ? feed.Handed - feed.Window - HandedAhead / 2 : feed.Pulled + 1;
            if (feed.WakeAt(wakeAt, Self))
                return;
        }
    }

    // Full chunks go ahead while fewer than the queue's window plus HandedAhead are untaken; a partial chunk only while
    // the queue itself has room, so that under load items wait here and join full chunks. False when items without credit
    // wait for the stage to have room for them.
    private bool HandOver()
    {
        var feed = _link.Feed;
        var untaken = feed.Handed - feed.Pulled;
        var blocked = false;
        while (_closed is null && _waitingItems > 0)
        {
            var limit = _waitingItems >= _link.ChunkSize ? feed.Window + HandedAhead : feed.Window;
            if (untaken + _handing.Count >= limit)
                break;
            var (unpaid, size) = NextChunkSize();
            // Items without credit go on as far as the stage has room for them; the gateway is told TransitFreed when
            // it has more, and they wait here meanwhile, the items after them too.
            if (unpaid && (size = _overflow!.Transit.TakeOrWait(size, Self)) == 0)
            {
                blocked = true;
                break;
            }

            _handing.Add(NextChunk(unpaid, size));
        }

        // All at once: the stream takes the feed's lock on every pull, and the gateway should hold it rarely.
        if (_handing.Count > 0)
        {
            feed.Add(_handing);
            _handing.Clear();
        }

        return !blocked;
    }

    // The next chunk holds the items that wait, in order, up to a chunk, all of them with credit or all without.
    private (bool Unpaid, int Size) NextChunkSize()
    {
        var unpaid = _waiting.Peek().Unpaid;
        var size = 0;
        foreach (var waiting in _waiting)
        {
            if (waiting.Unpaid != unpaid || size >= _link.ChunkSize)
                break;
            size += waiting.End - waiting.Taken;
        }

        return (unpaid, Math.Min(size, _link.ChunkSize));
    }

    private Chunk<T> NextChunk(bool unpaid, int size)
    {
        var items = new T[size];
        var filled = 0;
        System.Diagnostics.ActivityContext[]? traces = null;
        while (filled < items.Length)
        {
            var batch = _waiting.Peek();
            traces = PipelineTracing.Join(traces, batch.Traces);
            var take = Math.Min(items.Length - filled, batch.End - batch.Taken);
            for (var i = 0; i < take; i++)
                items[filled + i] = batch.Items[batch.Taken + i];
            if (unpaid)
                batch.Account.Tally.Add(take);
            batch.Taken += take;
            filled += take;
            if (batch.Taken == batch.End)
                _waiting.Dequeue();
        }

        _waitingItems -= items.Length;
        if (unpaid)
            _link.Counters.AddProduced(size);
        return new Chunk<T>(_link.Feed.NextId(), items) { Traces = traces, Unpaid = unpaid };
    }

    // A queue that has ended takes nothing more: the stream broke (the supervisor hears of that from the stream as
    // well, and faults the run), so items still waiting here are refused and no producer waits for credit in vain.
    private void FailIfQueueEnded()
    {
        if (_closed is not null || _queue.WatchCompletionAsync() is not { IsCompleted: true } ended)
            return;

        var cause = ended.Exception is { } e
            ? Exceptions.Unwrap(e)
            : new InvalidOperationException("The pipeline queue closed before the stream took these items.");
        _closed = $"Pipeline '{_pipeline}' cannot take items any more: its queue failed ({cause.Message}).";

        // Items still waiting here never reached the queue: they are refused, and no longer count as produced.
        foreach (var batch in _waiting)
        {
            var left = batch.End - batch.Taken;
            if (!batch.Unpaid)
            {
                batch.Account.Tally.Add(-left);
                _link.Counters.Withdraw(left);
            }

            batch.Account.Producer.Tell(new ProduceRefused(left, _closed));
        }

        if (_waitingItems > 0)
            _supervisor.Tell(new GatewayFailed(cause));
        _waiting.Clear();
        _waitingItems = 0;
    }
}
