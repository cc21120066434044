using System.Text.Json.Nodes;
using ActorPipeline.Internal;
using Akka.Actor;

namespace ActorPipeline.Persistence.Internal;

/// <summary>One run of a durable pipeline: the progress of its sources, read from the journal when it starts and written
/// to it as items finish.</summary>
internal sealed class DurableRun : IDurableRun
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyList<IResumableSource> _sources;
    private readonly PipelineCounters _counters;
    private ISourceProgress[] _progress = [];
    private long _succeeded;
    private long _failed;
    private IActorRef _journal = ActorRefs.Nobody;
    private TaskCompletionSource? _ended;
    private Exception? _journalLost;
    private Action? _release;

    public DurableRun(string id, DurableStore store, IReadOnlyList<IResumableSource> sources, PipelineCounters counters, Action release)
    {
        _release = release;
        Id = id;
        Store = store;
        _sources = sources;
        _counters = counters;
    }

    public string Id { get; }

    public DurableStore Store { get; }

    public Task Ready => _ready.Task;

    /// <summary>Starts the run's journal as a child of the pipeline; it recovers at once.</summary>
    public void Open(IActorRefFactory parent, string pluginId, DurableOptions options) =>
        _journal = parent.ActorOf(Props.Create(() => new PipelineJournal(this, pluginId, options)), "journal");

    /// <summary>The progress of the source at <paramref name="index"/> among the pipeline's, once <see cref="Ready"/>.</summary>
    public SourceProgress<TPosition> ProgressOf<TPosition>(int index) => (SourceProgress<TPosition>)_progress[index];

    /// <summary>The journal read the state earlier runs left (or none): each source gets its progress from it.</summary>
    public void Recovered(SavedState? saved)
    {
        var unknown = saved?.Sources.Keys.Where(name => _sources.All(s => s.Name != name)).ToArray() ?? [];
        if (unknown.Length > 0)
        {
            RecoveryFailed(new DurableStateException(
                $"The state of durable pipeline '{Id}' in {Store} has sources this pipeline does not ({string.Join(", ", unknown)}): " +
                "a pipeline resumes with the sources it had; give a pipeline of other sources another id."));
            return;
        }

        _progress = _sources.Select(s => s.Progress(_counters, saved?.Sources.GetValueOrDefault(s.Name))).ToArray();
        if (saved is not null)
        {
            (_succeeded, _failed) = (saved.Succeeded, saved.Failed);
            _counters.Resume(saved.Succeeded, saved.Failed);
        }

        _ready.TrySetResult();
    }

    public void RecoveryFailed(Exception cause) => _ready.TrySetException(cause);

    public void Finished(IReadOnlyList<FinishedRun> runs)
    {
        lock (_gate)
        {
            foreach (var run in runs)
            {
                _progress[run.Producer].Finished(run.Seq, run.Count);
                if (run.Failed)
                    _failed += run.Count;
                else
                    _succeeded += run.Count;
            }
        }

        _journal.Tell(PipelineJournal.StateChanged.Instance);
    }

    /// <summary>The state now, as the journal writes it; <paramref name="finished"/> marks the last state of a run that
    /// finished every item, kept for inspection.</summary>
    public byte[] Write(bool finished = false)
    {
        long succeeded, failed;
        Func<JsonObject>[] progress;
        lock (_gate)
        {
            (succeeded, failed) = (_succeeded, _failed);
            progress = _progress.Select(p => p.Snapshot()).ToArray();
        }

        return SavedState.Write(Id, succeeded, failed, _sources.Select((s, i) => new KeyValuePair<string, JsonObject>(s.Name, progress[i]())), finished);
    }

    public Task EndAsync(bool clean)
    {
        lock (_gate)
        {
            if (_journalLost is { } lost)
                return Task.FromException(lost);
            _ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _journal.Tell(new PipelineJournal.EndRun(clean, _ended));
        return _ended.Task;
    }

    /// <summary>The journal stopped (a write failed, or the pipeline is stopping): an end waited for is told so.</summary>
    public void JournalStopped(Exception cause)
    {
        TaskCompletionSource? ended;
        lock (_gate)
        {
            _journalLost = cause;
            ended = _ended;
        }

        ended?.TrySetException(cause);
        _ready.TrySetException(cause);
        Release();
    }

    /// <summary>The run no longer writes: its id may be used again (once; later calls do nothing).</summary>
    public void Release() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
