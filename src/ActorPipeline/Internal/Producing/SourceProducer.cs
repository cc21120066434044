using System.Diagnostics;
using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Runs one user item source and pushes its items into the stream's queue, never sending an item it has no credit for.</summary>
/// <remarks>
/// Credit comes from the pipeline's <see cref="CreditPool"/>; the producer asks its source for the next item only while
/// it holds credit, so a slow pipeline stops the pulling: this is where backpressure reaches user code. Items the
/// source yields without waiting are sent together, as one chunk handed straight to the queue's feed (no other actor
/// in between). A source that waits (a pending <c>MoveNextAsync</c>) holds no credit meanwhile: what was pulled goes,
/// the rest of the credit goes back, and the item that comes takes credit before it is sent, waiting in the producer's
/// hand if none is free, as a blocked writer holds its item at a bounded channel. So sources that wait for one another
/// can never hold the capacity between them. When the source ends, the producer gives back the credit it did not use
/// and stops, and its stopping is the pipeline's end-of-stream signal. In a mode that drops items the producer never
/// waits: an item that finds no credit is dropped, or sent on without credit for the dispatch stage to place
/// (<see cref="Overflow{T}"/>), and a source that never waits gives up its thread every so many items.
/// </remarks>
internal sealed class SourceProducer<T> : ReceiveActor
{
    private sealed record Moved(bool HasItem);

    private sealed record MoveFailed(Exception Cause);

    private sealed record Resume
    {
        public static Resume Instance { get; } = new();
    }

    // In a drop mode credit never holds a source back: the producer lets other messages in (a stop) this often.
    private const int YieldEvery = 1024;

    private readonly Func<CancellationToken, IAsyncEnumerable<T>> _source;
    private readonly ProducerLink<T> _link;
    private readonly ProducerTally _tally;
    private readonly CancellationTokenSource _cancel = new();
    private IAsyncEnumerator<T>? _enumerator;
    private Task? _pendingMove;
    private int _credit;
    // The source's current item came while the producer held no credit: it is sent once credit is taken for it.
    private bool _holding;
    // When the producer began to wait for credit (a Stopwatch timestamp), 0 while it does not.
    private long _waitingSince;
    private bool _finished;

    // The chunk being filled: its size is fixed when it starts, by the credit held then, so it is full exactly when
    // the credit runs out and nothing that holds credit ever waits here for more credit.
    private T[]? _batch;
    private int _count;

    // In a drop mode: items without credit, sent on together (they go before any item pulled after them), and items
    // dropped as they came, not yet counted. A source that ended with such items still here ends once they have gone.
    private readonly Overflow<T>? _overflow;
    private T[]? _unpaid;
    private int _unpaidCount;
    private int _droppedUncounted;
    private bool _ending;

    // In a durable pipeline, this source's index among the pipeline's: each chunk says which of its items it carries.
    private readonly int? _durableIndex;

    public SourceProducer(Func<CancellationToken, IAsyncEnumerable<T>> source, ProducerLink<T> link, ProducerTally tally, int? durableIndex = null)
    {
        _source = source;
        _durableIndex = durableIndex;
        _link = link;
        _tally = tally;
        _overflow = link.Overflow is { Waits: false } overflow ? overflow : null;

        Receive<CreditReturned>(_ =>
        {
            // Woken for credit it no longer waits for (it found some itself meanwhile): the next waiter may need it.
            if (_credit > 0 || _pendingMove is not null || _finished)
                _link.Credit.Return(0);
            else
                Pump();
        });
        Receive<Moved>(m =>
        {
            _pendingMove = null;
            if (!m.HasItem)
            {
                Finish();
                return;
            }

            _holding = true;
            Pump();
        });
        Receive<MoveFailed>(f =>
        {
            _pendingMove = null;
            Fail(f.Cause);
        });
        Receive<StopProducing>(_ => Context.Stop(Self));
        Receive<Resume>(_ => Pump());
        Receive<TransitFreed>(_ =>
        {
            if (_unpaidCount == 0)
                _overflow!.Transit.Return(0); // found room by itself meanwhile: the next waiter may need the wake
            else if (SendUnpaid() && _ending)
                Context.Stop(Self);
            else if (_unpaidCount == 0)
                Pump();
        });
    }

    protected override void PreStart()
    {
        try
        {
            _enumerator = _source(_cancel.Token).GetAsyncEnumerator(_cancel.Token);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }

        Pump();
    }

    private void Pump()
    {
        var pulled = 0;
        while (_pendingMove is null && !_finished)
        {
            if (_credit == 0)
            {
                if (_overflow is not null)
                {
                    _credit = _link.Credit.TryTake(_link.CreditShare);
                }
                else
                {
                    _credit = _link.Credit.TakeOrWait(_link.CreditShare, Self);
                    if (_credit == 0)
                    {
                        _waitingSince = _link.Counters.BeginCreditWait(_waitingSince);
                        return; // CreditReturned comes when items finish
                    }

                    _waitingSince = _link.Counters.EndCreditWait(_waitingSince);
                }
            }

            // Items without credit go before the next item with credit, and no more of them are held than a chunk: until
            // the stage has room for them, the producer waits for it (TransitFreed), holding no credit.
            if (_unpaidCount > 0 && (_credit > 0 || _unpaidCount == _unpaid!.Length) && !SendUnpaid())
            {
                ReturnCredit();
                return;
            }

            if (_holding)
            {
                // An item that came after a wait goes at once, alone: the source's next step may wait as long again.
                _holding = false;
                if (_credit == 0)
                {
                    Overflowed(_enumerator!.Current);
                    SendAll();
                    continue;
                }

                _credit--;
                Send([_enumerator!.Current]);
                continue;
            }

            if (_overflow is not null && ++pulled > YieldEvery)
            {
                SendAll();
                Self.Tell(Resume.Instance);
                return;
            }

            ValueTask<bool> move;
            bool hasItem;
            try
            {
                move = _enumerator!.MoveNextAsync();
                if (!move.IsCompleted)
                {
                    SendAll();
                    ReturnCredit();
                    var task = move.AsTask();
                    _pendingMove = task;
                    task.PipeTo(Self, success: has => new Moved(has), failure: ex => new MoveFailed(Exceptions.Unwrap(ex)));
                    return;
                }

                hasItem = move.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Fail(e);
                return;
            }

            if (!hasItem)
            {
                Finish();
                return;
            }

            if (_credit > 0)
                Add(_enumerator.Current);
            else
                Overflowed(_enumerator.Current);
        }
    }

    // In a drop mode, an item that found no credit: held to be sent on for the dispatch stage to place, after the items
    // with credit pulled before it, or dropped as it comes.
    private void Overflowed(T item)
    {
        var overflow = _overflow!;
        if (overflow.MakesRoom)
        {
            Send();
            _unpaid ??= new T[_link.ChunkSize];
            _unpaid[_unpaidCount++] = item;
            return;
        }

        overflow.Dropped(item, DropReason.Incoming);
        _droppedUncounted++;
        if (overflow.Mode == OverflowMode.Fail)
        {
            // The pipeline ends: this producer pulls nothing more from its source.
            _finished = true;
            End();
        }
    }

    private void SendAll()
    {
        Send();
        SendUnpaid();
        CountDropped();
    }

    // Sends the items held without credit as far as the stage has room for them; true once all have gone. Otherwise the
    // producer is told TransitFreed when there is room again.
    private bool SendUnpaid()
    {
        while (_unpaidCount > 0)
        {
            var room = _overflow!.Transit.TakeOrWait(_unpaidCount, Self);
            if (room == 0)
                return false;
            var items = _unpaid![..room];
            _unpaidCount -= room;
            Array.Copy(_unpaid, room, _unpaid, 0, _unpaidCount);
            Send(items, unpaid: true);
        }

        return true;
    }

    private void CountDropped()
    {
        if (_droppedUncounted == 0)
            return;
        _overflow!.CountIncoming(_droppedUncounted, _tally, Self);
        _droppedUncounted = 0;
    }

    // While its source waits, a producer holds no credit, so that other producers can use all of the capacity meanwhile.
    private void ReturnCredit()
    {
        if (_credit == 0)
            return;
        _link.Credit.Return(_credit);
        _credit = 0;
    }

    // The item was pulled with credit held for it; a full chunk goes at once.
    private void Add(T item)
    {
        _batch ??= new T[Math.Min(_credit, _link.ChunkSize)];
        _batch[_count++] = item;
        _credit--;
        if (_count == _batch.Length)
            Send();
    }

    private void Send()
    {
        if (_count == 0)
            return;
        var items = _count == _batch!.Length ? _batch : _batch[.._count];
        _batch = null;
        _count = 0;
        Send(items);
    }

    private void Send(T[] items, bool unpaid = false)
    {
        var origin = _durableIndex is { } index ? new ChunkOrigin(index, _tally.Produced) : null;
        _tally.Add(items.Length);
        _link.Counters.AddProduced(items.Length);
        _link.Feed.Add(new Chunk<T>(_link.Feed.NextId(), items)
        {
            Traces = PipelineTracing.Publish(_link.Counters.Pipeline, items.Length, _link.Counters.Started),
            Unpaid = unpaid,
            Origin = origin,
        });
    }

    private void Finish()
    {
        _finished = true;
        End();
    }

    private void Fail(Exception cause)
    {
        // What was pulled before the failure is sent and will be processed. The failure is written where the supervisor
        // reads it when it sees the producer stop: a message could arrive after that (Terminated overtakes it).
        _finished = true;
        _tally.Failure = cause;
        End();
    }

    // The source is done: what was pulled goes, and the producer stops, or, with items without credit still held (the
    // stage has no room for them yet), once they have gone.
    private void End()
    {
        Send();
        CountDropped();
        if (_overflow is null || SendUnpaid())
            Context.Stop(Self);
        else
            _ending = true;
    }

    protected override void PostStop()
    {
        // Stopped early (drain, abort): items pulled and not yet sent are dropped with their credit; they never counted.
        _link.Credit.Forget(Self);
        _waitingSince = _link.Counters.EndCreditWait(_waitingSince);
        _link.Credit.Return(_credit + _count);
        _credit = 0;
        if (_overflow is not null)
        {
            // Items held without credit never counted: they are dropped with the producer, as items pulled with credit are.
            _overflow.Transit.Forget(Self);
            _unpaidCount = 0;
            CountDropped();
        }

        _cancel.Cancel();
        var enumerator = _enumerator;
        if (enumerator is null)
            return;

        // An async iterator cannot be disposed while a MoveNextAsync is running: dispose it after that move ends.
        var pending = _pendingMove ?? Task.CompletedTask;
        _ = pending.ContinueWith(
            static (_, state) => DisposeQuietly((IAsyncEnumerator<T>)state!),
            enumerator,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static async Task DisposeQuietly(IAsyncEnumerator<T> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync();
        }
        catch (Exception)
        {
            // The producer is gone; a source that fails while being disposed has nobody left to tell.
        }
    }
}

/// <summary>What a producer needs to push items into a running pipeline: the queue's feed, the credit, and the counts.</summary>
internal sealed record ProducerLink<T>(
    QueueFeed<Chunk<T>> Feed, CreditPool Credit, PipelineCounters Counters, int ChunkSize, int CreditShare, Overflow<T>? Overflow = null);

/// <summary>What one producer has sent so far, written by whoever accepts its items and read without an actor.</summary>
internal sealed class ProducerTally
{
    private long _produced;
    private Exception? _failure;

    public long Produced => Volatile.Read(ref _produced);

    /// <summary>Why the producer's source failed, if it did.</summary>
    public Exception? Failure
    {
        get => Volatile.Read(ref _failure);
        set => Volatile.Write(ref _failure, value);
    }

    public void Add(int items) => Interlocked.Add(ref _produced, items);
}
