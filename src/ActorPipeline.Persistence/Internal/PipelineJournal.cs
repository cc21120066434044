using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorPipeline.Persistence.Internal;

/// <summary>Writes a durable pipeline's state: each event is the whole state, written when items finished since the last
/// write, one write at a time and at most one per write interval, so writes come per batch of outcomes, never per item.</summary>
/// <remarks>
/// Older events are deleted as the run goes, so the store holds a few events whatever the run's length; a run that
/// finished every item deletes them all (or all but a last one marked finished, when asked to keep it), and the next run
/// with the id starts afresh. A write that fails stops the
/// journal (Akka.Persistence's rule): the run goes on, and its end reports that its state could not be kept. The interval
/// bounds what the writes cost (back to back, they took a third of the time of items of a few microseconds on SQLite) and
/// what a crash makes the next run do again: about an interval's worth of items.
/// </remarks>
internal sealed class PipelineJournal : ReceivePersistentActor, IWithTimers
{
    private const string WriteTimer = "write";

    // Older events go every so many writes: a delete is a statement of its own, not worth making per write.
    private const int DeleteEvery = 32;

    private readonly DurableRun _run;
    private readonly TimeSpan _interval;
    private readonly bool _keepFinished;
    private long _lastWriteAt;
    private bool _waiting;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private object? _last;
    private bool _dirty;
    private bool _writing;
    private int _writes;
    private EndRun? _end;
    private long _endDeletesTo = -1;

    public PipelineJournal(DurableRun run, string pluginId, DurableOptions options)
    {
        _run = run;
        _interval = options.WriteInterval;
        _keepFinished = options.KeepFinishedState;
        PersistenceId = $"actor-pipeline:{run.Id}";
        JournalPluginId = pluginId;
        // Every event is a whole state, so the last one is all a recovery needs: no snapshots.
        SnapshotPluginId = "akka.persistence.no-snapshot-store";

        Recover<byte[]>(state => _last = state);
        Recover<RecoveryCompleted>(_ =>
        {
            try
            {
                _run.Recovered(_last is null ? null : SavedState.Read(_last, run.Id, run.Store.ToString()));
            }
            catch (DurableStateException e)
            {
                _run.RecoveryFailed(e);
                Context.Stop(Self);
            }

            _last = null;
        });

        Command<StateChanged>(_ =>
        {
            _dirty = true;
            WriteIfIdle();
        });
        Command<WriteDue>(_ =>
        {
            _waiting = false;
            WriteIfIdle();
        });
        Command<EndRun>(end =>
        {
            _end = end;
            if (!_writing)
                End();
        });
        Command<DeleteMessagesSuccess>(deleted =>
        {
            if (_end is { } end && deleted.ToSequenceNr == _endDeletesTo)
                Ended(end, null);
        });
        Command<DeleteMessagesFailure>(failed =>
        {
            if (_end is { } end && failed.ToSequenceNr == _endDeletesTo)
            {
                Ended(end, new DurableStateException(
                    $"Durable pipeline '{run.Id}' finished, and its state in {run.Store} could not be cleared: {failed.Cause.Message}", failed.Cause));
            }
            else
            {
                _log.Warning("Durable pipeline {0}: older states in {1} could not be deleted ({2}); they are deleted with the next.", run.Id, run.Store, failed.Cause.Message);
            }
        });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private void WriteIfIdle()
    {
        // After a clean end the state is deleted: nothing more is written.
        if (_writing || !_dirty || _waiting || _end is { Clean: true })
            return;
        // At the run's end the last state goes at once; otherwise no sooner than an interval after the previous write.
        var due = _lastWriteAt + (long)(_interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) - System.Diagnostics.Stopwatch.GetTimestamp();
        if (_end is null && due > 0)
        {
            _waiting = true;
            Timers.StartSingleTimer(WriteTimer, WriteDue.Instance, TimeSpan.FromSeconds((double)due / System.Diagnostics.Stopwatch.Frequency));
            return;
        }

        _lastWriteAt = System.Diagnostics.Stopwatch.GetTimestamp();
        _dirty = false;
        _writing = true;
        PersistAsync(_run.Write(), _ =>
        {
            _writing = false;
            if (++_writes % DeleteEvery == 0)
                DeleteMessages(LastSequenceNr - 1);
            if (_end is not null)
                End();
            else
                WriteIfIdle();
        });
    }

    // With every item finished the state goes (or, kept for inspection, is written once more marked finished); else what
    // finished last is written first, for the next run.
    private void End()
    {
        var end = _end!;
        if (end.Clean && _keepFinished)
        {
            PersistAsync(_run.Write(finished: true), _ =>
            {
                // The events before the last one go; their delete ends the run.
                _endDeletesTo = LastSequenceNr - 1;
                if (_endDeletesTo <= 0)
                    Ended(end, null);
                else
                    DeleteMessages(_endDeletesTo);
            });
            return;
        }

        if (end.Clean)
        {
            if (LastSequenceNr == 0)
            {
                Ended(end, null);
                return;
            }

            _endDeletesTo = LastSequenceNr;
            DeleteMessages(LastSequenceNr);
        }
        else if (_dirty)
        {
            _waiting = false;
            Timers.Cancel(WriteTimer);
            WriteIfIdle();
        }
        else
        {
            Ended(end, null);
        }
    }

    // The id is free again before the run's end is told: a run started right after it with the same id is not refused.
    private void Ended(EndRun end, Exception? error)
    {
        _run.Release();
        if (error is null)
            end.Done.TrySetResult();
        else
            end.Done.TrySetException(error);
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null) =>
        _run.RecoveryFailed(new DurableStateException(
            $"The state of durable pipeline '{_run.Id}' could not be read from {_run.Store}: {reason.Message}", reason));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Durable pipeline {0}: its state could not be written to {1}; the run goes on, and a crash would resume it from the last state written.", _run.Id, _run.Store);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void PostStop()
    {
        _run.JournalStopped(new DurableStateException($"The journal of durable pipeline '{_run.Id}' ({_run.Store}) stopped before the run ended."));
        base.PostStop();
    }

    /// <summary>The write interval has passed since the last write.</summary>
    private sealed class WriteDue
    {
        public static WriteDue Instance { get; } = new();
    }

    /// <summary>Items finished since the last write.</summary>
    public sealed class StateChanged
    {
        public static StateChanged Instance { get; } = new();
    }

    /// <summary>The run ended: clear the state (<paramref name="Clean"/>) or write the last of it; then complete <paramref name="Done"/>.</summary>
    public sealed record EndRun(bool Clean, TaskCompletionSource Done);
}
