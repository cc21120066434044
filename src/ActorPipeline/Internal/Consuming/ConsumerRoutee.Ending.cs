using Akka.Actor;

namespace ActorPipeline.Internal;

// How a routee's work ends early: every chunk it holds is answered, the unfinished items marked, the handler disposed.
internal sealed partial class ConsumerRoutee<T>
{
    protected override void PreRestart(Exception reason, object message)
    {
        AnswerUnfinished(reason);
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        // Stopped, not crashed: its node left or shut down, or its pool let it go. The item it was in is sent again
        // under max-redeliveries, not as a failure of the handler.
        AnswerUnfinished(new ConsumerLostException($"Consumer {Self.Path} stopped before it finished the item (its node left or shut down, or its pool let it go)."));
        _itemCancel.Cancel();
        switch (_invoker?.Handler)
        {
            case IAsyncDisposable asyncDisposable:
                _ = asyncDisposable.DisposeAsync().AsTask();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    // The pipeline gave the chunk in hand up (its stop deadline, or it took this routee for stuck): what is left of it
    // went elsewhere or failed, and no answer is awaited.
    private void GiveUpChunk()
    {
        EndProcess(new OperationCanceledException("The pipeline gave the chunk up."));
        _work = null;
    }

    // The chunk's span ends with what became of its items, and says so when the pipeline abandoned it at its deadline.
    private void EndProcess(Exception? error)
    {
        PipelineTracing.EndProcess(_process, null, _failures.Count, _retried, _deferred.Count, error, abandoned: _progressTo?.Abandoned == true || _abandonedHere);
        _process = null;
    }

    // Every chunk this routee holds gets its answer: the items handled so far, and the rest marked as interrupted.
    // Between messages a current chunk exists only while its item is in a pending handler, so that item was started.
    private void AnswerUnfinished(Exception reason)
    {
        EndProcess(reason);
        if (_work is not null)
            _replyTo.Tell(new ChunkConsumed(_work.ChunkId, Self.Path.Name, _index, _failures.ToArray(), _retried, reason) { Results = _invoker?.Results, Deferred = Deferred() });
        _work = null;
        while (_backlog.TryDequeue(out var next))
            next.ReplyTo.Tell(new ChunkConsumed(next.Work.ChunkId, Self.Path.Name, 0, [], 0, reason, InterruptedItemStarted: false));
    }
}
