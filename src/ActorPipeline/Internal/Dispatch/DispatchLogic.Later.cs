using System.Diagnostics;

namespace ActorPipeline.Internal;

// Work that waits for a time: items that failed under a retry backoff, and work the rate limit holds back.
internal sealed partial class DispatchLogic<T>
{
    private const string RetryTimer = "retry";
    private const string RateTimer = "rate";

    // Items failed under the retry backoff, by the Stopwatch timestamp at which they may go again. They keep their credit:
    // the capacity bounds them as any item in flight.
    private readonly PriorityQueue<WorkRun<T>, long> _delayed = new();
    private int _delayedItems;
    private long _retryTimerAt;

    /// <summary><paramref name="run"/> failed and waits its backoff before it is tried again.</summary>
    private void Delay(WorkRun<T> run)
    {
        if (_aborted || _abandoned)
        {
            Refuse(run);
            return;
        }

        HoldKeys(run);
        var wait = _settings.RetryBackoff!.Delay(run.Attempt, Random.Shared.NextDouble());
        _delayed.Enqueue(run with { Sent = true }, Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency));
        _delayedItems += run.Count;
        _context.Counters.WaitingToRetry = _delayedItems;
        ScheduleRetry();
    }

    // One timer, for the earliest item: set again whenever an earlier one comes or the earliest has gone.
    private void ScheduleRetry()
    {
        if (!_delayed.TryPeek(out _, out var due) || (_retryTimerAt != 0 && _retryTimerAt <= due))
            return;
        _retryTimerAt = due;
        var wait = Math.Max(0, due - Stopwatch.GetTimestamp());
        ScheduleOnce(RetryTimer, TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
    }

    // The items whose wait is over join the front of the waiting work, oldest first.
    private void ReleaseDue(long now)
    {
        _retryTimerAt = 0;
        var due = new List<WorkRun<T>>();
        while (_delayed.TryPeek(out var run, out var at) && at <= now)
        {
            _delayed.Dequeue();
            _delayedItems -= run.Count;
            due.Add(run);
        }

        for (var i = due.Count - 1; i >= 0; i--)
        {
            ReleaseKeys(due[i]);
            Wait(due[i]);
        }
        _context.Counters.WaitingToRetry = _delayedItems;
        ScheduleRetry();
        Pump();
    }

    // An abort fails them, the stop deadline abandons them: their wait ends as other work does.
    private void RefuseDelayed()
    {
        while (_delayed.TryDequeue(out var run, out _))
        {
            _delayedItems -= run.Count;
            ReleaseKeys(run);
            Refuse(run);
        }

        _context.Counters.WaitingToRetry = 0;
    }

    // A retry that waits keeps its items' keys out; it gives them up as it goes back in front of their later items, or
    // fails. A settled chunk gives up its keys the same way.
    private void HoldKeys(WorkRun<T> run)
    {
        for (var i = 0; _keys is not null && i < run.Count; i++)
            _keys.Hold(run[i]);
    }

    private void ReleaseKeys(WorkRun<T> run)
    {
        for (var i = 0; _keys is not null && i < run.Count; i++)
            _keys.Release(run[i]);
    }

    /// <summary>How many items the rate limit lets start now (all when there is none); with none, the stage looks again
    /// when the next may start.</summary>
    private int RateAllows()
    {
        if (_rate is null)
            return int.MaxValue;
        var allowed = _rate.Available(Stopwatch.GetTimestamp());
        if (allowed == 0)
            ScheduleOnce(RateTimer, _rate.UntilNext);
        return allowed;
    }
}

/// <summary>A token bucket: <paramref name="perSecond"/> tokens a second, at most <paramref name="burst"/> saved up; an
/// item takes one when it is handed to a consumer.</summary>
internal sealed class TokenBucket(int perSecond, int burst)
{
    private double _tokens = burst;
    private long _at = Stopwatch.GetTimestamp();

    /// <summary>Whole tokens there are at <paramref name="now"/>.</summary>
    public int Available(long now)
    {
        _tokens = Math.Min(burst, _tokens + (double)(now - _at) / Stopwatch.Frequency * perSecond);
        _at = now;
        return (int)_tokens;
    }

    /// <summary>Items handed out take their tokens.</summary>
    public void Take(int items) => _tokens -= items;

    /// <summary>How long until the next whole token.</summary>
    public TimeSpan UntilNext => TimeSpan.FromSeconds(Math.Max(0, 1 - _tokens) / perSecond);
}
