using System.Diagnostics;

namespace ActorPipeline.Internal;

// How a routee runs a handler of single items: one item after another, in a tight loop while handlers complete at
// once; a failed item is tried again at once while it has retries left (or, under a retry backoff, handed back).
internal sealed partial class ConsumerRoutee<T>
{
    private void Run()
    {
        var work = _work!;
        while (_index < work.Items.Count)
        {
            // The pipeline gave the chunk up meanwhile (the stop deadline, or it thought this routee stuck): what is left
            // of it has been failed or sent elsewhere.
            if (GivenUp)
            {
                GiveUpChunk();
                return;
            }

            ValueTask handled;
            var started = PipelineMetrics.HandlerDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
            try
            {
                _attempts++;
                handled = _plain is not null
                    ? _plain.HandleAsync(work.Items[_index], _itemCancel.Token)
                    : _invoker!.InvokeAsync(work.Items[_index], _itemCancel.Token);
            }
            catch (Exception e)
            {
                RecordDuration(started);
                ItemFailed(e);
                continue;
            }

            if (handled.IsCompleted)
                RecordDuration(started);

            if (handled.IsCompletedSuccessfully)
            {
                if (_plain is null)
                    _invoker!.Succeeded();
                Advance();
                continue;
            }

            if (!handled.IsCompleted)
            {
                AwaitPending(handled.AsTask(), started);
                return;
            }

            try
            {
                handled.GetAwaiter().GetResult();
                if (_plain is null)
                    _invoker!.Succeeded();
                Advance();
            }
            catch (Exception e)
            {
                ItemFailed(e);
            }
        }

        Answer(work);
    }

    private void Advance(ItemFault? fault = null, bool deferred = false)
    {
        _index++;
        _attempts = 0;
        _progressTo?.Advance(_index, _retried, fault, deferred);
    }

    private void ItemFailed(Exception cause)
    {
        if (cause is OperationCanceledException && _itemCancel.IsCancellationRequested)
            cause = new TimeoutException($"The handler did not finish the item within consumer-timeout ({_timeout}).", cause);

        ResetItemCancel();
        if (_attempts <= _maxRetries - _work!.Attempt)
        {
            _retried++;
            if (!_retryLater)
                return; // the same index runs again

            // Under a retry backoff the item waits in the pipeline; this routee goes on with the next one.
            var retry = new ItemFault(_index, cause, _attempts + _work.Attempt);
            _deferred.Add(retry);
            Advance(retry, deferred: true);
            return;
        }

        var fault = new ItemFault(_index, cause, _attempts + _work.Attempt);
        _failures.Add(fault);
        Advance(fault);
    }
}
