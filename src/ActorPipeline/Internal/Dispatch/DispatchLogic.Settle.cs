using System.Diagnostics;
using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>How the dispatch stage settles chunks: answers, losses, deadlines, abort and abandon.</summary>
internal sealed partial class DispatchLogic<T>
{
    // Items that no handler has seen go back this many times at most (each time a consumer gave them back unseen).
    private const int MaxFreeResends = 16;

    /// <summary>Why a chunk came back without a full answer.</summary>
    private enum Loss
    {
        /// <summary>An answer, or a deadline.</summary>
        None,

        /// <summary>Its routee was lost or stopped: what it may have begun goes again under max-redeliveries.</summary>
        Lost,

        /// <summary>The stop deadline passed: what is unfinished is abandoned.</summary>
        Abandoned,
    }

    /// <summary>Takes what <paramref name="reply"/> decided for <paramref name="assignment"/>, puts the rest back to wait
    /// (retries first), counts and gives credit back, and lets the routee ask again.</summary>
    /// <remarks>With <c>known</c> false, nothing says whether the first unanswered item was in a handler, and every
    /// unanswered item may have been.</remarks>
    private void Settle(Assignment<T> assignment, ChunkConsumed reply, bool known, Loss loss)
    {
        _inFlight.Remove(assignment.Id);
        var routee = assignment.Routee;
        // What the routee says it took, when it says (a routee of the library's does); else the time since it could begin,
        // which includes the trip to it and back.
        if (loss == Loss.None && reply.Interruption is null && reply.Answered > 0 && (reply.Took > TimeSpan.Zero || assignment.First))
        {
            var ticks = reply.Took > TimeSpan.Zero
                ? (long)(reply.Took.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond))
                : Stopwatch.GetTimestamp() - assignment.FirstAt;
            Learn(ticks, reply.Answered);
        }
        routee.Held.Remove(assignment);
        if (routee.Held.Count > 0)
            routee.Held[0].BecomeFirst(Stopwatch.GetTimestamp());

        var run = assignment.Run;
        // The chunk's keys are free again; an item put off by the retry backoff takes its key back as it goes to wait.
        ReleaseKeys(run);

        var settled = new Settlement<T>(run, reply.Consumer, _order, _durable);
        var answered = Math.Clamp(reply.Answered, 0, run.Count);
        settled.Answered(reply, answered);
        if (reply.Deferred is { } deferred)
        {
            foreach (var retry in deferred)
            {
                if (retry.Index >= 0 && retry.Index < answered)
                    Delay(run.Slice(retry.Index, 1) with { Attempt = retry.Attempts });
            }
        }

        var rest = run.Count - answered;
        if (rest > 0)
        {
            var tried = !known ? rest : reply.InterruptedItemStarted ? 1 : 0;
            var cause = reply.Interruption ?? new InvalidOperationException(
                $"Consumer {reply.Consumer} answered {answered} of {run.Count} items without saying why.");
            var untried = run.Slice(answered + tried, rest - tried);
            if (loss == Loss.Abandoned || _abandoned)
            {
                settled.Abandon(run.Slice(answered, tried), tried: true);
                settled.Abandon(untried, tried: false);
            }
            else if (tried == 0)
            {
                // A consumer that keeps giving items back unseen is at fault, and so is a chunk that never arrives (Akka.Remote
                // drops one larger than its maximum frame size); losing a routee is not: its chunks go elsewhere.
                if (loss != Loss.Lost && untried.FreeResends >= MaxFreeResends)
                    settled.Fail(untried, tried: false, cause);
                else
                    Wait(untried with { FreeResends = untried.FreeResends + (loss == Loss.Lost ? 0 : 1) });
            }
            else
            {
                Wait(untried);
                var begun = run.Slice(answered, tried);
                if (loss == Loss.Lost || IsLoss(reply.Interruption))
                {
                    // The lost consumer may have begun these items: they go again without spending a retry, each at most
                    // max-redeliveries times, so a poison item that brings down every node it reaches still ends.
                    if (begun.Redeliveries >= _settings.MaxRedeliveries)
                        settled.Fail(begun, tried: true, new ConsumerLostException(
                            $"Every consumer that held the item was lost before it answered, the last {reply.Consumer}; it was sent " +
                            $"{_settings.MaxRedeliveries + 1} times in all (max-redeliveries = {_settings.MaxRedeliveries})."));
                    else
                        Wait(begun with { Redeliveries = begun.Redeliveries + 1 });
                }
                else if (begun.Attempt >= _settings.MaxRetries)
                {
                    settled.Fail(begun, tried: true, cause);
                }
                else
                {
                    // A consumer of the application's own, or a routee that crashed, gave the item back unfinished: under
                    // a retry backoff it waits too.
                    settled.Retried += begun.Count;
                    if (_settings.RetryBackoff is null)
                        Wait(begun with { Attempt = begun.Attempt + 1 });
                    else
                        Delay(begun with { Attempt = begun.Attempt + 1 });
                }
            }
        }

        Conclude(settled.Build(), assignment.Progress);

        // An answer asks for the next chunk.
        if (loss == Loss.None)
            Ask(routee);
        Pump();
    }

    // Counted first, then the credit goes back: a status never shows more items in flight than the capacity. Results
    // not yet delivered still hold theirs, so the capacity bounds them too; with results in order, so does every item
    // decided before an earlier one.
    private void Conclude(ChunkOutcome outcome, ChunkProgress? progress)
    {
        _context.Counters.AddOutcomes(outcome, progress);
        // In a durable pipeline the supervisor hears of every item finished, after the callbacks for it have run.
        if (_durable?.Take() is { } finished)
            outcome = outcome with { Finished = finished };
        if (_order is not null)
        {
            ReleaseInOrder();
            return;
        }

        var decided = outcome.Succeeded + outcome.Failures.Count;
        if (_context.HoldCredit && outcome.Results is not null)
            outcome = outcome with { HeldCredit = decided };
        else if (decided > 0)
            _context.Credit.Return(decided);
        if (outcome.Failures.Count > 0 || outcome.HeldCredit > 0 || outcome.Finished is not null)
            Emit(outcome);
    }

    // With results in order: what is next in order goes to the supervisor, and the credit of released items with
    // nothing to deliver goes back.
    private void ReleaseInOrder()
    {
        if (_order!.Release(_emit ??= Emit) is var passed and > 0)
            _context.Credit.Return(passed);
        _context.Counters.WaitingForTurn = _order.Held;
    }

    private void Learn(long ticks, int items)
    {
        var perItem = (double)ticks / items;
        _ticksPerItem = double.IsPositiveInfinity(_ticksPerItem) ? perItem : 0.8 * _ticksPerItem + 0.2 * perItem;
    }

    // A run given back waits in front of the others: it is older than anything that came since.
    private void Wait(WorkRun<T> run)
    {
        if (run.Count == 0)
            return;
        if (_aborted || _abandoned)
        {
            Refuse(run);
            return;
        }

        _waiting.AddFirst(run with { Sent = true });
        _waitingItems += run.Count;
    }

    // A routee that stopped (rather than crashed) answers with a ConsumerLostException, which crosses nodes by name.
    private static bool IsLoss(Exception? interruption) =>
        interruption is ConsumerLostException or RemoteFailureException { ExceptionType: "ActorPipeline.ConsumerLostException" };

    // On the stream's actor, every sweep. A routee of this process is stuck when it has shown no sign of life (an item
    // begun or finished, a check answered) for consumer-timeout and two sweeps; one that has shown none since the last
    // sweep is asked to check its handler. A routee elsewhere is judged by its chunk's deadline from when it began it,
    // and a chunk it never said it began was lost on the way. A consumer of the application's own has consumer-timeout
    // per item and try, and one more, to answer.
    private void Sweep(long now)
    {
        foreach (var assignment in _inFlight.Values.ToArray())
        {
            // A chunk queued behind another at its routee is judged once the routee gets to it.
            var routee = assignment.Routee;
            if (!assignment.First || !_inFlight.ContainsKey(assignment.Id))
                continue;
            if (assignment.Progress is { } progress)
            {
                if (progress.Life != assignment.SeenLife)
                {
                    (assignment.SeenLife, assignment.SeenAt) = (progress.Life, now);
                }
                else if (now - assignment.SeenAt > _stuckAfter)
                {
                    progress.GiveUp();
                    Stuck(routee);
                    Settle(assignment, progress.Partial(assignment.Id, routee.Actor.Path.Name, new TimeoutException(
                        $"Consumer {routee.Actor.Path.Name} finished nothing for longer than consumer-timeout ({_settings.ConsumerTimeout}) and two sweeps; it is replaced.")),
                        known: true, Loss.None);
                    TakeBackQueued(routee);
                }
                else
                {
                    routee.Actor.Tell(CheckHandler.Instance, _self.Ref);
                }
            }
            else if (_context.OwnRoutees)
            {
                var count = assignment.Run.Count;
                if (assignment.BegunAt == 0 && now - assignment.SeenAt > _stuckAfter)
                {
                    Settle(assignment, new ChunkConsumed(assignment.Id, routee.Actor.Path.ToString(), 0, [], 0, new TimeoutException(
                        $"Consumer {routee.Actor.Path} never acknowledged a chunk of {count} items: it was lost on the way, or larger than akka.remote.dot-netty.tcp.maximum-frame-size."),
                        InterruptedItemStarted: false), known: true, Loss.None);
                }
                else if (assignment.BegunAt != 0 && now - assignment.BegunAt > RemoteWait(count))
                {
                    Stuck(routee);
                    Settle(assignment, new ChunkConsumed(assignment.Id, routee.Actor.Path.ToString(), 0, [], 0, new TimeoutException(
                        $"Consumer {routee.Actor.Path} did not answer a chunk of {count} items within consumer-timeout ({_settings.ConsumerTimeout}) per item and try.")),
                        known: false, Loss.None);
                    TakeBackQueued(routee);
                }
                else if (assignment.BegunAt != 0)
                {
                    routee.Actor.Tell(CheckHandler.Instance, _self.Ref);
                }
            }
            else
            {
                var wait = _settings.ConsumerTimeout * ((double)assignment.Run.Count * (_settings.MaxRetries + 1) + 1);
                if (now - assignment.SeenAt > (long)(wait.TotalSeconds * Stopwatch.Frequency))
                {
                    Settle(assignment, new ChunkConsumed(assignment.Id, routee.Actor.Path.Name, 0, [], 0, new TimeoutException(
                        $"No consumer answered a chunk of {assignment.Run.Count} items within {wait}.")), known: false, Loss.None);
                }
            }
        }

        CompleteWhenDone();
        AssertInvariants();
    }

    private long RemoteWait(int items) => (long)((_settings.ConsumerTimeout * ((double)items * (_settings.MaxRetries + 1))
        + 2 * SweepPeriod(_settings.ConsumerTimeout)).TotalSeconds * Stopwatch.Frequency);

    // A routee that holds its thread for good gets no more work; the supervisor takes it out of the pool.
    private void Stuck(RouteeState<T> routee)
    {
        routee.Gone = true;
        _routees.Remove(routee.Actor);
        _retired.Add(routee.Actor);
        _self.Unwatch(routee.Actor);
        _context.Supervisor.Tell(new ConsumerStuck(routee.Actor));
    }

    // The chunks a stuck routee holds behind the one it is stuck on were never begun: they go elsewhere unspent.
    private void TakeBackQueued(RouteeState<T> routee)
    {
        foreach (var queued in routee.Held.ToArray())
        {
            queued.Progress?.GiveUp();
            Settle(queued, new ChunkConsumed(queued.Id, routee.Actor.Path.Name, 0, [], 0, new TimeoutException(
                $"Consumer {routee.Actor.Path.Name} is stuck on an earlier chunk."), InterruptedItemStarted: false), known: true, Loss.Lost);
        }
    }

    // The stop deadline has passed: every item not finished fails as abandoned, those at consumers at once (those
    // already finished keep their outcome), those still to come as they arrive.
    private void Abandon()
    {
        _abandoned = true;
        RefuseWaiting();
        RefuseDelayed();
        foreach (var assignment in _inFlight.Values.ToArray())
        {
            assignment.Progress?.GiveUp(abandoned: true);
            // A routee of the library's on another node shares no progress object: it is told.
            if (assignment.Progress is null && _context.OwnRoutees)
                assignment.Routee.Actor.Tell(new ChunkAbandoned(assignment.Id), _self.Ref);
            var cause = new ItemAbandonedException("The pipeline's stop deadline passed before the item finished.");
            var reply = assignment.Progress?.Partial(assignment.Id, assignment.Routee.Actor.Path.Name, cause)
                ?? new ChunkConsumed(assignment.Id, assignment.Routee.Actor.Path.Name, 0, [], 0, cause);
            Settle(assignment, reply, known: assignment.Progress is not null, Loss.Abandoned);
        }
    }

    private void RefuseWaiting()
    {
        while (_waiting.First is { } node)
        {
            _waiting.RemoveFirst();
            _waitingItems -= node.Value.Count;
            Refuse(node.Value);
        }
    }

    // Items no consumer will see: abandoned at the deadline, or failed by an abort before they reached one.
    private void Refuse(WorkRun<T> run)
    {
        var settled = new Settlement<T>(run, string.Empty, _order, _durable);
        if (_abandoned)
            settled.Abandon(run, tried: false);
        else
            settled.Fail(run, tried: false, new OperationCanceledException(run.Attempt > 0
                ? "The pipeline was aborted while the item waited to be tried again."
                : "The pipeline was aborted before this item reached a consumer."), finishes: false);
        Conclude(settled.Build(), null);
    }
}
