using System.Diagnostics;

namespace ActorPipeline.Internal;

// How a routee runs a batch handler: the whole chunk is one batch; the items that fail are tried again together, as a
// batch of their own, while they have retries left (or wait in the pipeline under a retry backoff).
internal sealed partial class ConsumerRoutee<T>
{
    private IBatchHandler<T>? _batches;
    // The chunk's items still to be tried, by index, and the batch of them in the handler now.
    private List<int> _unfinished = [];
    private Batch<T>? _batch;

    private void RunBatches()
    {
        var work = _work!;
        while (_unfinished.Count > 0)
        {
            if (GivenUp)
            {
                GiveUpChunk();
                return;
            }

            var batch = _batch = new Batch<T>(work.Items, _unfinished);
            var started = Stopwatch.GetTimestamp();
            _attempts++;
            ValueTask handled;
            try
            {
                handled = _batches!.HandleAsync(batch, _itemCancel.Token);
            }
            catch (Exception e)
            {
                RecordDuration(started);
                BatchTried(batch, e);
                continue;
            }

            if (!handled.IsCompleted)
            {
                AwaitPending(handled.AsTask(), started);
                return;
            }

            RecordDuration(started);
            Exception? error = null;
            try
            {
                handled.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                error = e;
            }

            BatchTried(batch, error);
        }

        Answer(work);
    }

    // A try of the batch ended: with an error every item of it failed, else those the handler failed. Each failed item
    // is tried again with the next batch, waits in the pipeline (retry backoff), or fails for good.
    private void BatchTried(Batch<T> batch, Exception? error)
    {
        if (error is OperationCanceledException && _itemCancel.IsCancellationRequested)
            error = new TimeoutException($"The batch handler did not finish within consumer-timeout ({_timeout}).", error);
        ResetItemCancel();
        var work = _work!;
        var failed = error is not null
            ? Enumerable.Range(0, batch.Count).Select(i => (Index: batch.ChunkIndex(i), Cause: error))
            : batch.Failures.Select(f => (Index: batch.ChunkIndex(f.Index), f.Cause));
        var again = new List<int>();
        foreach (var (index, cause) in failed.DistinctBy(f => f.Index))
        {
            var tries = _attempts + work.Attempt;
            if (_attempts <= _maxRetries - work.Attempt)
            {
                _retried++;
                if (_retryLater)
                    _deferred.Add(new ItemFault(index, cause, tries));
                else
                    again.Add(index);
            }
            else
            {
                _failures.Add(new ItemFault(index, cause, tries));
            }
        }

        again.Sort();
        _unfinished = again;
        _batch = null;
        _progressTo?.Alive();
    }
}
