using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Runs one user item source and feeds it to the gateway, never holding more items than its credit.</summary>
/// <remarks>
/// Items are pulled from the source only while credit remains, so a slow pipeline stops the pulling: this is where
/// backpressure reaches user code. Items that the source yields without waiting are sent together; an item source
/// that waits never holds back what has been pulled already. When the source ends, the producer waits for its last
/// acknowledgement and stops, and its stopping is the pipeline's end-of-stream signal.
/// </remarks>
internal sealed class SourceProducer<T> : ReceiveActor
{
    private sealed record Moved(bool HasItem);

    private sealed record MoveFailed(Exception Cause);

    private readonly Func<CancellationToken, IAsyncEnumerable<T>> _source;
    private readonly int _chunkSize;
    private readonly CancellationTokenSource _cancel = new();
    private IAsyncEnumerator<T>? _enumerator;
    private Task? _pendingMove;
    private IActorRef _gateway = ActorRefs.Nobody;
    private int _available;
    private int _unacked;
    private bool _finished;

    public SourceProducer(Func<CancellationToken, IAsyncEnumerable<T>> source, int chunkSize)
    {
        _source = source;
        _chunkSize = chunkSize;

        Receive<ProducerRegistered>(OnRegistered);
        Receive<ProduceAck>(ack =>
        {
            _unacked -= ack.Count;
            _available += ack.Count;
            if (_finished)
                StopWhenAcknowledged();
            else
                Pump(null);
        });
        Receive<Moved>(m =>
        {
            _pendingMove = null;
            if (m.HasItem)
                Pump([_enumerator!.Current]);
            else
                Finish(null);
        });
        Receive<MoveFailed>(f =>
        {
            _pendingMove = null;
            Fail(f.Cause);
        });
        Receive<ProduceRefused>(r => Fail(new InvalidOperationException($"The gateway refused {r.Count} items: {r.Reason}")));
        Receive<StopProducing>(_ => Context.Stop(Self));
    }

    private void OnRegistered(ProducerRegistered registered)
    {
        _gateway = registered.Gateway;
        _available = registered.Credit;
        try
        {
            _enumerator = _source(_cancel.Token).GetAsyncEnumerator(_cancel.Token);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }

        Pump(null);
    }

    // `batch` holds the item that an asynchronous move has just pulled, if any: it leads the next batch.
    private void Pump(List<T>? batch)
    {
        if (batch is not null)
        {
            _available--;
            if (batch.Count >= _chunkSize)
            {
                Send(batch);
                batch = null;
            }
        }

        while (_pendingMove is null && !_finished && _available > 0)
        {
            ValueTask<bool> move;
            bool hasItem;
            try
            {
                move = _enumerator!.MoveNextAsync();
                if (!move.IsCompleted)
                {
                    Send(batch);
                    var task = move.AsTask();
                    _pendingMove = task;
                    task.PipeTo(Self, success: has => new Moved(has), failure: ex => new MoveFailed(Exceptions.Unwrap(ex)));
                    return;
                }

                hasItem = move.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Send(batch);
                Fail(e);
                return;
            }

            if (!hasItem)
            {
                Finish(batch);
                return;
            }

            (batch ??= new List<T>(Math.Min(_chunkSize, _available))).Add(_enumerator.Current);
            _available--;
            if (batch.Count == _chunkSize)
            {
                Send(batch);
                batch = null;
            }
        }

        Send(batch);
    }

    private void Send(List<T>? batch)
    {
        if (batch is not { Count: > 0 })
            return;
        _unacked += batch.Count;
        _gateway.Tell(batch.Count == 1 ? new Produce<T>(batch[0]) : new ProduceBatch<T>(batch));
    }

    private void Finish(List<T>? batch)
    {
        Send(batch);
        _finished = true;
        StopWhenAcknowledged();
    }

    private void StopWhenAcknowledged()
    {
        if (_unacked == 0)
            Context.Stop(Self);
    }

    private void Fail(Exception cause)
    {
        // What was sent already is in the gateway's mailbox and will be processed; the failure goes in the report.
        _finished = true;
        Context.Parent.Tell(new ProducerFailed(cause));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
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
