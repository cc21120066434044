using Akka.Actor;
using Akka.Event;

namespace ActorPipeline.Internal;

/// <summary>How a pipeline's run ends: drained or aborted on request (with a deadline), completed, faulted or stopped,
/// and the report each way.</summary>
internal sealed partial class PipelineSupervisor<T>
{
    private void OnStop(StopPipeline stop)
    {
        if (State == PipelineState.Completed)
            return;

        if (stop.Abort)
        {
            _outcome = PipelineOutcome.Aborted;
            State = PipelineState.Aborting;
            ToDispatch(AbortDispatch.Instance);
        }
        else if (_outcome != PipelineOutcome.Aborted)
        {
            _outcome = PipelineOutcome.Drained;
            if (State == PipelineState.Running)
                State = PipelineState.Draining;
        }

        // Source producers are stopped: what they sent before stopping is still processed. Registered actors are
        // told to stop and let go at once, so the pipeline does not wait on an actor it does not own; items they
        // send from now on are refused (and they are told so).
        var reason = $"Pipeline '{_spec.Name}' is {(stop.Abort ? "aborting" : "draining")}; send no more items.";
        foreach (var (producer, entry) in _producers.ToArray())
        {
            if (!entry.Alive)
                continue;
            if (entry.Child)
            {
                Context.Stop(producer);
            }
            else
            {
                producer.Tell(new StopProducing(reason));
                ProducerGone(producer, $"Pipeline '{_spec.Name}' let this producer go when it began {(stop.Abort ? "aborting" : "draining")}; it takes no more items from it.");
            }
        }

        DrainWhenNoProducerIsLeft();
        Timers.StartSingleTimer(StopDeadlinePassed.Instance, StopDeadlinePassed.Instance, stop.Deadline);
    }

    // Under overflow = fail: the run aborts (the producers stop, items no consumer has had fail) and ends faulted with
    // the exception that names the capacity, its report complete.
    private void OnCapacityExceeded(CapacityExceeded exceeded)
    {
        if (_overflowed is not null || State == PipelineState.Completed)
            return;
        var producer = _producers.TryGetValue(exceeded.Producer, out var entry) ? entry.Name : exceeded.Producer.Path.Name;
        _overflowed = new PipelineOverflowException(
            $"Pipeline '{_spec.Name}' overflowed: all {_spec.Capacity} items of its capacity were in flight when producer '{producer}' " +
            "sent another, and overflow = fail. Raise the capacity, or choose backpressure or a drop mode.",
            _spec.Capacity);
        _log.Error("Pipeline {0}: {1}", _spec.Name, _overflowed.Message);
        OnStop(new StopPipeline(Abort: true, _settings.StopTimeout));
    }

    // The stop deadline passed with items still unfinished: the stream fails each of them as abandoned, through the
    // usual outcomes (the report and OnFailedItem list them), and completes. Should it not manage within a second, the
    // run ends without it.
    private void AbandonUnfinished()
    {
        if (State == PipelineState.Completed)
            return;
        _log.Warning("Pipeline {0}: stop deadline passed with {1} items unfinished; they are abandoned.", _spec.Name, _counters.Read().InFlight);
        ToDispatch(Internal.AbandonUnfinished.Instance);
        Timers.StartSingleTimer(AbandonOverdue.Instance, AbandonOverdue.Instance, TimeSpan.FromSeconds(1));
    }

    // The last resort, and what a pipeline stopped while it drains does: what is unfinished is counted as abandoned,
    // without the items themselves.
    private void EndNow()
    {
        if (State == PipelineState.Completed)
            return;
        _killSwitch?.Shutdown();
        var abandoned = _counters.AbandonRest();
        _log.Warning("Pipeline {0}: ended with {1} items unfinished, counted as abandoned without their details.", _spec.Name, abandoned);
        Finish(Report(_outcome));
    }

    private void TryComplete()
    {
        if (!_streamDone || !_gatewayDone)
            return;
        // A durable pipeline whose state could not be read ran nothing (its sources failed with that cause): it faults.
        if (_durable?.Ready.Exception is { } unreadable)
            Fault(unreadable.InnerException!.Message, unreadable.InnerException);
        else
            Finish(Report(_outcome));
    }

    private void Fault(string message, Exception? cause)
    {
        if (State == PipelineState.Completed)
            return;
        _log.Error(cause, "Pipeline {0}: {1}", _spec.Name, message);
        var report = Report(PipelineOutcome.Faulted);
        State = PipelineState.Completed;
        PipelineMetrics.Forget(_counters);
        var error = new PipelineFaultedException($"Pipeline '{_spec.Name}' faulted: {message}", report, cause);
        _complete = () => _spec.Completion.TrySetException(error);
        TellCompletionOnceGatewayStopped();
    }

    private void Finish(PipelineReport report)
    {
        State = PipelineState.Completed;
        PipelineMetrics.Forget(_counters);
        if (_overflowed is { } overflowed)
        {
            var error = new PipelineFaultedException(overflowed.Message, report with { Outcome = PipelineOutcome.Faulted }, overflowed);
            _complete = () => _spec.Completion.TrySetException(error);
        }
        else
        {
            _complete = () => _spec.Completion.TrySetResult(report);
            // Every item finished: a durable pipeline's next run starts afresh. A drain, an abort, a source that failed or
            // items abandoned leave work undone, which the next run takes up.
            _clean = report.EveryItemFinished;
        }

        TellCompletionOnceGatewayStopped();
    }

    // The run's end is told once the gateway has stopped: an item sent after Completion then reaches no part still
    // closing, and is refused as sent to a completed pipeline. Routees are not waited for: one may be stuck in a handler.
    private void TellCompletionOnceGatewayStopped()
    {
        if (_gatewayStopped || _gateway.IsNobody())
            TellCompletion();
        else
            Context.Stop(_gateway);
    }

    private void TellCompletion()
    {
        // A durable run's end is told once its state is cleared (every item finished) or written for the next run.
        if (_durable is { } durable && !_durableEnded)
        {
            _durableEnded = true;
            durable.EndAsync(_clean).PipeTo(Self, success: () => DurableRunEnded.Instance, failure: e =>
            {
                _log.Error(e, "Pipeline {0}: its durable state could not be written at the end of the run; the next run resumes from the last state written.", _spec.Name);
                return DurableRunEnded.Instance;
            });
            return;
        }

        _complete?.Invoke();
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        if (State == PipelineState.Completed)
        {
            // Stopped before the gateway's end was heard (the ActorSystem terminating): the run's end is told now.
            _complete?.Invoke();
            return;
        }

        // Stopped while a drain or abort was under way (the ActorSystem terminated before the stop deadline, or at it):
        // that is the deadline, early. Otherwise nobody asked the pipeline to end, and its report faults.
        if (_outcome is PipelineOutcome.Drained or PipelineOutcome.Aborted)
        {
            // Stopping already: there is no gateway's end to wait for, so the run's end is told at once.
            EndNow();
            _complete?.Invoke();
            return;
        }

        PipelineMetrics.Forget(_counters);
        var report = Report(PipelineOutcome.Faulted);
        _spec.Completion.TrySetException(new PipelineFaultedException(
            $"Pipeline '{_spec.Name}' was stopped before it completed (its actor was stopped or the ActorSystem terminated).",
            report, null));
    }

    private PipelineReport Report(PipelineOutcome outcome)
    {
        var counts = _counters.Read();
        return new PipelineReport
        {
            Name = _spec.Name,
            Outcome = outcome,
            Produced = counts.Produced,
            Succeeded = counts.Succeeded,
            Failed = counts.Failed,
            Retried = counts.Retried,
            Abandoned = counts.Abandoned,
            Dropped = counts.Dropped,
            Resumed = _counters.Resumed,
            Recovered = _counters.Recovered,
            Producers = _producerOrder.Select(Summary).ToArray(),
            ProcessedByConsumer = _counters.ProcessedByConsumer(),
            Failures = _failures.ToArray(),
            Elapsed = _clock.Elapsed,
        };
    }

    // One summary per producer: what its OnProducerStopped callback got is what the report lists. A producer still
    // running (the run faulted or ended at a deadline) is listed with what it has sent so far.
    private static ProducerSummary Summary(ProducerEntry entry) =>
        entry.Alive && entry.Tally is { } tally
            ? new ProducerSummary(entry.Name, tally.Produced, tally.Failure)
            : new ProducerSummary(entry.Name, entry.Produced, entry.Failure);
}
