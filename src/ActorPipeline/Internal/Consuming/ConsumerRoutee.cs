using System.Diagnostics;
using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>A routee of the consumer pool: runs the user's handler over each chunk, item by item, and always answers.</summary>
/// <remarks>
/// Handlers that complete synchronously run in a tight loop; a handler that returns a pending task is awaited by
/// piping its completion back, so the routee stays responsive (to <c>Kill</c>, to stop) while an item is in its
/// handler. The routee starts no timer: the pipeline's sweep sends <see cref="CheckHandler"/> to a routee that has
/// made no progress since the sweep before, and the routee then fails an item that has been in its handler for longer
/// than consumer-timeout. (A timer per routee made every routee's start go through the ActorSystem's scheduler, whose
/// first use blocks the calling thread until the scheduler runs: hundreds of routees starting at once starved the thread
/// pool.) Whatever ends the routee's work early — a restart, a stop — answers every chunk it holds, marking the
/// unfinished items so the pipeline retries or fails them; an item is never silently dropped.
/// </remarks>
internal sealed partial class ConsumerRoutee<T> : ActorBase
{
    private sealed record HandlerDone(long Attempt, Exception? Error);

    private readonly Func<ItemInvoker<T>> _createInvoker;
    private readonly IActorRef _pipeline;
    private readonly int _maxRetries;
    private readonly TimeSpan _timeout;
    private readonly bool _retryLater;
    private readonly Queue<(ConsumeChunk<T> Work, IActorRef ReplyTo)> _backlog = new();
    private readonly List<ItemFault> _failures = [];
    // Items that failed with retries left, under a retry backoff: the pipeline tries them again after a wait.
    private readonly List<ItemFault> _deferred = [];
    private ItemInvoker<T>? _invoker;
    // A handler without results is called directly, and nothing is kept per item.
    private IItemHandler<T>? _plain;
    private CancellationTokenSource _itemCancel = new();
    private ConsumeChunk<T>? _work;
    private IActorRef _replyTo = ActorRefs.Nobody;

    // The current chunk's progress when the pipeline is in this process: the routee reports each item to it.
    private ChunkProgress? _progressTo;
    // A routee on another node learns by message that the pipeline abandoned a chunk at its stop deadline.
    private bool _abandonedHere;
    private readonly HashSet<long> _abandonedIds = [];
    private int _index;
    private int _attempts;
    private int _retried;
    // Which handler call the routee waits for. Unique across the routee's incarnations: a restarted routee keeps its
    // mailbox, so the answer of a call its previous incarnation gave up on may still arrive, and must not be taken
    // for the answer of a call of its own.
    private static long _lastAttemptId;
    private long _attemptId;
    private long _pendingSince;
    private long _begunAt;
    private KeyValuePair<string, object?>[] _pipelineTags = [];
    private string _pipelineName = "";
    // The span of the chunk in hand, when a listener traces the pipeline; current while its handlers run.
    private Activity? _process;

    /// <summary>A routee whose handler is a type with a public parameterless constructor: its props are plain data, so
    /// a cluster pool can deploy it on another node.</summary>
    public ConsumerRoutee(RouteeSettings settings)
        : this(() => ItemInvoker<T>.For(Activator.CreateInstance(settings.Handler)!), settings)
    {
    }

    /// <summary>A routee whose handler, and how it is called, is made by a local factory (a delegate handler); the
    /// handler type in <paramref name="settings"/> is not used.</summary>
    public ConsumerRoutee(Func<ItemInvoker<T>> createInvoker, RouteeSettings settings)
    {
        _createInvoker = createInvoker;
        _pipeline = settings.Pipeline;
        _maxRetries = settings.MaxRetries;
        _timeout = settings.Timeout;
        _retryLater = settings.RetryLater;
    }

    /// <summary>The props of a routee that creates a handler of type <see cref="RouteeSettings.Handler"/> on the node it
    /// runs on. Built from the constructor call, so a changed constructor fails to compile, not at start.</summary>
    public static Props PropsFor(RouteeSettings settings) => Props.Create(() => new ConsumerRoutee<T>(settings));

    /// <summary>The props of a routee that calls the handler <paramref name="createInvoker"/> makes, in this process only.</summary>
    public static Props PropsFor(Func<ItemInvoker<T>> createInvoker, IActorRef pipeline, PipelineSettings settings) =>
        Props.Create(() => new ConsumerRoutee<T>(createInvoker, RouteeSettings.For(typeof(object), pipeline, settings)));

    protected override void PreStart()
    {
        // A routee lives at /user/<pipeline>/consumers/<routee>.
        _pipelineName = Self.Path.Parent.Parent.Name;
        _pipelineTags = PipelineMetrics.TagsFor(_pipelineName);

        try
        {
            _invoker = _createInvoker();
            _plain = (_invoker as PlainInvoker<T>)?.Inner;
            _batches = (_invoker as BatchInvoker<T>)?.Inner;
        }
        catch (Exception e)
        {
            var cause = e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;
            _pipeline.Tell(new ConsumerStartFailed(cause));
            throw;
        }
    }

    protected override bool Receive(object message)
    {
        try
        {
            return Handle(message);
        }
        finally
        {
            // The chunk's span is current only while its handlers are called: the thread goes on to other actors.
            if (_process is not null)
                Activity.Current = null;
        }
    }

    private bool Handle(object message)
    {
        switch (message)
        {
            case ConsumeChunk<T> work:
                _backlog.Enqueue((work, Sender));
                if (_work is null)
                    StartNext();
                else if (IsRemote(Sender))
                    Sender.Tell(ChunkTaken.Queued);
                return true;
            case ChunkAbandoned abandoned:
                // From the pipeline on another node, at its stop deadline: the chunk's outcome is settled there already.
                if (_work?.ChunkId == abandoned.ChunkId)
                {
                    _abandonedHere = true;
                    _itemCancel.Cancel();
                }
                else if (_backlog.Any(queued => queued.Work.ChunkId == abandoned.ChunkId))
                {
                    // Queued behind the chunk in hand: skipped when its turn comes. (One already answered needs nothing.)
                    _abandonedIds.Add(abandoned.ChunkId);
                }

                return true;
            case HandlerDone done when done.Attempt == _attemptId && _work is not null:
                HandlerFinished(done.Error);
                return true;
            case HandlerDone:
                return true; // an answer for an item this routee has already given up on
            case CheckHandler:
                if (_pendingSince != 0 && Stopwatch.GetElapsedTime(_pendingSince) >= _timeout)
                {
                    // Give up on the item: its late answer will carry a stale attempt id and be ignored.
                    _itemCancel.Cancel();
                    _attemptId = Interlocked.Increment(ref _lastAttemptId);
                    HandlerFinished(new TimeoutException($"The handler did not finish {(_batches is null ? "the item" : "the batch")} within consumer-timeout ({_timeout})."));
                }
                else
                {
                    // A routee that reads its mailbox is not stuck: an asynchronous item it waits for is given up above
                    // once past its timeout. Only a routee blocked in a synchronous handler never gets here.
                    _progressTo?.Alive();
                }

                return true;
            default:
                return false;
        }
    }

    private void HandlerFinished(Exception? error)
    {
        if (_process is not null)
            Activity.Current = _process;
        RecordDuration(_pendingSince);
        _pendingSince = 0;
        if (_batches is not null)
        {
            BatchTried(_batch!, error);
            RunBatches();
            StartNext();
            return;
        }

        if (error is null)
        {
            ResetItemCancel();
            if (_plain is null)
                _invoker!.Succeeded();
            Advance();
        }
        else
        {
            ItemFailed(error);
        }

        Run();
        StartNext();
    }

    private void StartNext()
    {
        while (_work is null && _backlog.TryDequeue(out var next))
        {
            // A chunk the pipeline has given up on (its consumer looked stuck, or the deadline passed) went elsewhere
            // or failed: running it now would handle its items twice.
            if (next.Work.Progress is { GivenUp: true } || _abandonedIds.Remove(next.Work.ChunkId))
                continue;
            _abandonedHere = false;
            (_work, _replyTo) = next;
            _progressTo = _work.Progress;
            if (_progressTo is null && IsRemote(_replyTo))
                _replyTo.Tell(ChunkTaken.Begun);
            _begunAt = Stopwatch.GetTimestamp();
            _process = PipelineTracing.StartProcess(_pipelineName, _work.Items.Count, _work.Traces);
            _invoker!.Begin(_work.Items.Count);
            _progressTo?.Started(_invoker.Results);
            _index = 0;
            _attempts = 0;
            _retried = 0;
            _failures.Clear();
            _deferred.Clear();
            if (_batches is null)
            {
                Run();
            }
            else
            {
                _unfinished = Enumerable.Range(0, _work.Items.Count).ToList();
                RunBatches();
            }
        }
    }

    /// <summary>Whether the pipeline gave the chunk in hand up (stuck, lost, or abandoned at the stop deadline).</summary>
    private bool GivenUp => _progressTo is { GivenUp: true } || _abandonedHere;

    // Every item of the chunk has its outcome (or waits to be retried later): the chunk's answer asks for the next.
    private void Answer(ConsumeChunk<T> work)
    {
        EndProcess(null);
        _replyTo.Tell(new ChunkConsumed(work.ChunkId, Self.Path.Name, work.Items.Count, _failures.ToArray(), _retried, null)
        {
            Results = _invoker!.Results,
            Took = Stopwatch.GetElapsedTime(_begunAt),
            Deferred = Deferred(),
        });
        _work = null;
    }

    private void AwaitPending(Task handled, long started)
    {
        var attempt = _attemptId = Interlocked.Increment(ref _lastAttemptId);
        _pendingSince = started != 0 ? started : Stopwatch.GetTimestamp();
        handled.ContinueWith(
            static (task, state) =>
            {
                var (self, attempt) = ((IActorRef, long))state!;
                self.Tell(new HandlerDone(attempt, task.IsCompletedSuccessfully ? null
                    : task.Exception is { } error ? Exceptions.Unwrap(error)
                    : new OperationCanceledException("The handler's task was cancelled.")));
            },
            (Self, attempt),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    // A pipeline on another node learns from this routee which chunks it holds, and whether it began them: it cannot
    // read the routee's progress, and must know what to send again if this node is lost.
    private static bool IsRemote(IActorRef replyTo) => replyTo is IInternalActorRef { IsLocal: false };

    // The duration is measured only while somebody listens to the metric: a timestamp per item costs real time
    // when the handler itself costs a few nanoseconds.
    private void RecordDuration(long started)
    {
        if (started != 0 && PipelineMetrics.HandlerDuration.Enabled)
            PipelineMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _pipelineTags);
    }

    private ItemFault[]? Deferred() => _deferred.Count == 0 ? null : _deferred.ToArray();

    private void ResetItemCancel()
    {
        if (!_itemCancel.TryReset())
        {
            _itemCancel.Dispose();
            _itemCancel = new CancellationTokenSource();
        }
    }

}
